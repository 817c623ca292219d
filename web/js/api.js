/**
 * The server's JSON API. A browser session is the HttpOnly cookie set at sign-in; every request
 * that changes something also sends the session's CSRF token, which the page keeps in
 * localStorage (it is worthless without the cookie, and the cookie is out of the page's reach).
 */

const csrfKey = 'quartet.csrf';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function call(method, path, body) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = localStorage.getItem(csrfKey) ?? '';
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  let reply = {};
  try {
    reply = await response.json();
  } catch {
    // An empty or non-JSON answer: the status says enough.
  }
  if (!response.ok) {
    throw new ApiError(response.status, reply.error ?? `the server answered ${response.status}`);
  }
  return reply;
}

// Answers asked for ahead of need (while another request is under way), taken once.
const prefetched = new Map();

/** Starts a GET now, for a later get() of the same path to take. */
export function prefetch(path) {
  const reply = call('GET', path);
  reply.catch(() => {}); // a failure surfaces where the answer is taken
  prefetched.set(path, reply);
}

export function get(path) {
  const early = prefetched.get(path);
  if (early) {
    prefetched.delete(path);
    return early;
  }
  return call('GET', path);
}
export const post = (path, body = {}) => call('POST', path, body);
export const put = (path, body) => call('PUT', path, body);

export async function signIn(user, password, code) {
  const reply = await post('/sessions', {user, password, code});
  localStorage.setItem(csrfKey, reply.csrf);
  return reply;
}

export async function signOut() {
  try {
    await call('DELETE', '/sessions');
  } finally {
    localStorage.removeItem(csrfKey);
  }
}

/** Who is signed in, or null. */
export async function me() {
  try {
    return await get('/me');
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

export const enc = encodeURIComponent;
