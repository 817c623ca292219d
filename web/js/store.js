/**
 * What the page remembers in this browser (IndexedDB), never on the server:
 *  - owner signing keys: WebCrypto Ed25519 key pairs whose private half is non-extractable, so
 *    that not even this page's own script can read it out, only use it to sign;
 *  - per client log: the keys first seen (pinned) and the last checkpoint verified, so that each
 *    visit can prove the log only grew since;
 *  - per client trust chain: the size and head of the chain last checked, so that each visit can
 *    prove the chain only grew since (trust-check.js).
 */

const dbName = 'quartet';
const version = 2;

// One connection for the page's life: opening IndexedDB costs tens of milliseconds.
let connection = null;

function open() {
  connection ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(dbName, version);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('ownerKeys')) db.createObjectStore('ownerKeys', {keyPath: 'user'});
      if (!db.objectStoreNames.contains('logs')) db.createObjectStore('logs', {keyPath: 'tenant'});
      if (!db.objectStoreNames.contains('trust')) db.createObjectStore('trust', {keyPath: 'tenant'});
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      connection = null;
      reject(request.error);
    };
  });
  return connection;
}

async function run(storeName, mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    // Relaxed durability: a record lost in a crash only means the next visit checks consistency
    // from an older checkpoint, which is as safe.
    const transaction = db.transaction(storeName, mode, {durability: 'relaxed'});
    const request = action(transaction.objectStore(storeName));
    transaction.oncomplete = () => resolve(request?.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

export const getOwnerKey = (user) => run('ownerKeys', 'readonly', (s) => s.get(user));
export const putOwnerKey = (record) => run('ownerKeys', 'readwrite', (s) => s.put(record));
export const deleteOwnerKey = (user) => run('ownerKeys', 'readwrite', (s) => s.delete(user));
export const getLogState = (tenant) => run('logs', 'readonly', (s) => s.get(tenant));
export const putLogState = (record) => run('logs', 'readwrite', (s) => s.put(record));
export const getTrustState = (tenant) => run('trust', 'readonly', (s) => s.get(tenant));
export const putTrustState = (record) => run('trust', 'readwrite', (s) => s.put(record));
