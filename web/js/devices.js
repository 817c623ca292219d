/**
 * An owner's devices in the client's trust chain (docs/trust-chain.md, "Linking a device"), from
 * the browser. This browser's key (WebCrypto Ed25519, private half non-extractable, in IndexedDB)
 * approves for a client with a chain only once the chain lists it as one of the owner's devices,
 * and nothing here registers it with the server instead:
 *  - a browser that is not linked offers "Link this device": it signs the device.added for the
 *    chain's head alone, hands it to the server's relay and shows the code, which ends with its key
 *    ID, for a linked device of the owner to approve;
 *  - a linked browser lists the owner's devices with "Remove", and offers "Link a new device": the
 *    person types the code, the page fetches the statement, checks it against the chain it replayed
 *    itself (the key the code names, for this owner, following the head, signed by that key), shows
 *    the key ID to compare and signs it only when the person confirms.
 */
import * as api from './api.js';
import {announce, formatTime, h, replace} from './dom.js';
import {getOwnerKey, putOwnerKey, putTrustState} from './store.js';
import {bytesToBase64, bytesToHex} from './tlog.js';
import {addSignature, deviceJson, keyIdOf, signStatement} from './trust.js';

const now = () => Math.floor(Date.now() / 1000);
const KEY_ID = /^[0-9a-f]{16}$/;

/** Whether the client has a trust chain this page checked. */
export const hasChain = (context) => context.trust.state === 'verified' && context.trust.chain.state.size > 0;

/**
 * This browser's key for `user`, made once and kept (not registered with anyone): {user, keyId,
 * privateKey, publicKey, publicRaw, registered}. A key made before, for a client without a chain,
 * was registered with the server.
 */
export async function browserKey(user, {create = true} = {}) {
  const stored = await getOwnerKey(user);
  if (stored) {
    if (!stored.publicRaw) stored.publicRaw = new Uint8Array(await crypto.subtle.exportKey('raw', stored.publicKey));
    return stored;
  }
  if (!create) return null;
  const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const record = {
    user,
    keyId: keyIdOf(publicRaw),
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicRaw,
    registered: false,
  };
  await putOwnerKey(record);
  return record;
}

/** This browser's key and what the chain says of it: {key (or null), owner (or null)}. */
export async function thisDevice(context) {
  const key = await browserKey(context.session.user, {create: false});
  return {key, owner: key ? context.trust.chain.ownerOf(key.keyId) : null};
}

/**
 * Checks `statement` against the chain here, then hands it to the server. One that needs more
 * owners' signatures waits on the server for them (docs/trust-chain.md, "Collecting signatures"):
 * {waiting: true, owners, threshold}. One that joins the chain is kept as this browser's checked
 * head at once, so that a server that later drops it raises the alarm here.
 */
export async function submit(context, statement) {
  const collecting = await context.trust.chain.checkCollecting(statement);
  await api.post(`/clients/${api.enc(context.tenant)}/trust`, {statement});
  if (!collecting.complete) {
    announce(`Signed. It takes effect when ${collecting.threshold} owners have signed it.`);
    return {waiting: true, ...collecting};
  }
  await context.trust.chain.apply(statement);
  const {size, head} = context.trust.chain.state;
  await putTrustState({tenant: context.tenant, size, head: bytesToHex(head), verifiedAt: Date.now()});
  return {waiting: false, ...collecting};
}

// What a statement changes, in plain words.
function describe(statement, client) {
  const f = statement.fields;
  const device = (d) => `${d?.name ? `“${d.name}”` : 'a device'} (key ${d?.key_id ?? '?'})`;
  switch (statement.kind) {
    case 'policy.signed': {
      let policy = {};
      try {
        policy = JSON.parse(f.policy);
      } catch {
        // Checked already: it parses.
      }
      const otherwise = {approve: 'is approved at once', 'ask-owners': 'goes to the owners', deny: 'is refused'}[policy.fallback] ?? policy.fallback;
      const rules = Array.isArray(policy.rules) ? policy.rules.length : 0;
      return h('span', {}, `Put a new access policy in force: ${rules} ${rules === 1 ? 'rule' : 'rules'}, and any other request ${otherwise}.`,
        h('details', {}, h('summary', {}, 'The policy as signed'), h('pre', {class: 'wrap'}, JSON.stringify(policy, null, 2))));
    }
    case 'resource.signed':
      return `${f.resource} holds ${f.labels?.length ? `${f.labels.join(', ')} data` : 'nothing sensitive'}.`;
    case 'agent.confirmed':
      return `Confirm agent “${f.name}” as ${client.name}'s agent.`;
    case 'threshold.set':
      return `From then on, a change needs ${f.threshold} owners' signatures.`;
    case 'owner.added':
      return `Add ${f.owner} as an owner, with ${device(f.device)}.`;
    case 'owner.removed':
      return `Remove ${f.owner} as an owner.`;
    case 'device.added':
      return `Add ${device(f.device)} for ${f.owner}.`;
    case 'device.removed':
      return `Remove ${f.owner}'s device ${f.key_id}.`;
    default:
      return statement.kind;
  }
}

/**
 * The changes waiting for owners' signatures, each checked against the chain replayed here, with
 * "Sign" for an owner whose device has not signed yet. Null when none waits.
 */
export async function pendingCard(context, me) {
  const pending = Array.isArray(context.trust.pending) ? context.trust.pending : [];
  const rows = [];
  for (const item of pending) {
    try {
      const checked = await context.trust.chain.checkCollecting(item.statement);
      const statement = JSON.parse(item.statement);
      rows.push({item, checked, parsed: {kind: item.kind, fields: JSON.parse(statement.body)}});
    } catch {
      // One that does not check here is not offered for signing.
    }
  }
  if (rows.length === 0) return null;
  const error = h('p', {class: 'error', role: 'alert'});
  const sign = async (item) => {
    error.textContent = '';
    try {
      const result = await submit(context, await addSignature(item.statement, me.key));
      announce(result.waiting ? 'Signed; it waits for more owners.' : 'Signed: it is in force.');
      context.refresh();
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  return h(
    'section',
    {class: 'card warn', 'aria-labelledby': 'pending-title', 'data-testid': 'pending-signatures'},
    h('h2', {id: 'pending-title'}, 'Waiting for signatures'),
    h('p', {class: 'muted'}, `A change to ${context.client.name}'s trust chain needs ${context.trust.chain.state.threshold} owners' signatures. Each was checked in this browser.`),
    h(
      'ul',
      {class: 'plain'},
      rows.map(({item, checked, parsed}) =>
        h(
          'li',
          {'data-pending-id': item.id},
          h('strong', {}, describe(parsed, context.client)),
          h('br'),
          h('span', {class: 'muted small'}, `Proposed by ${item.proposed_by} on ${formatTime(item.proposed_at, context.client.time_zone)}; signed by ${checked.owners.join(', ')} (${checked.owners.length} of ${checked.threshold}).`),
          me?.owner && !checked.owners.includes(me.owner)
            ? h('div', {class: 'buttons'}, h('button', {class: 'primary', type: 'button', onclick: () => sign(item)}, 'Sign'))
            : h('p', {class: 'muted small'}, me?.owner ? 'You signed it: it waits for the other owners.' : ''),
        ),
      ),
    ),
    error,
  );
}

/**
 * For an owner of a client without a trust chain: "Start the trust chain" with this browser's key
 * as its first device (docs/trust-chain.md). The page makes the recovery key first and shows it, to
 * write down or save as a file that `quartet trust recover --recovery-key FILE` reads, and signs
 * the genesis only once the owner says she has kept it: without it, losing every device would lose
 * the chain. The recovery key's private half leaves this page only as what she keeps.
 */
export function startChainCard(context) {
  const {session, client} = context;
  const name = h('input', {id: 'genesis-device-name', name: 'genesis-device-name', maxlength: 40, value: 'browser'});
  const step = h('div', {'aria-live': 'polite'});
  const error = h('p', {class: 'error', role: 'alert'});
  const prepare = async () => {
    error.textContent = '';
    try {
      const key = await browserKey(session.user);
      const recovery = await crypto.subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
      const recoveryPublic = new Uint8Array(await crypto.subtle.exportKey('raw', recovery.publicKey));
      // An Ed25519 PKCS #8 key is 16 bytes of header and the 32-byte seed (RFC 8410).
      const seed = new Uint8Array(await crypto.subtle.exportKey('pkcs8', recovery.privateKey)).slice(16);
      const text = `quartet-owner-key v1\n${bytesToBase64(seed)}\n`;
      seed.fill(0);
      const file = URL.createObjectURL(new Blob([text], {type: 'text/plain'}));
      const kept = h('input', {type: 'checkbox', id: 'recovery-kept'});
      const start = async () => {
        error.textContent = '';
        if (!kept.checked) {
          error.textContent = 'Keep the recovery key first: print it, write it down or save the file, somewhere offline.';
          return;
        }
        try {
          const body = context.trust.chain.nextBody(
            'genesis',
            {owner: session.user, device: deviceJson(key.publicRaw, name.value.trim() || 'browser'), recovery_key: bytesToBase64(recoveryPublic)},
            now(),
          );
          await submit(context, await signStatement(body, [key]));
          URL.revokeObjectURL(file);
          announce('The trust chain is started.');
          context.refresh();
        } catch (failure) {
          error.textContent = failure.message;
        }
      };
      replace(
        step,
        h('h3', {}, 'Your recovery key'),
        h('p', {}, 'If you ever lose every device that approves for you, this key replaces them. Anyone who holds it can do the same: keep it offline, where only you can reach it.'),
        h('pre', {class: 'wrap', 'data-testid': 'recovery-key'}, text),
        h('p', {}, h('a', {href: file, download: `${client.tenant}-recovery.key`}, 'Save it as a file'), ' (then move the file off this computer).'),
        h('p', {}, kept, ' ', h('label', {for: 'recovery-kept'}, 'I have kept the recovery key somewhere safe and offline')),
        h('div', {class: 'buttons'}, h('button', {class: 'primary', type: 'button', onclick: start}, 'Start the trust chain')),
      );
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  return h(
    'section',
    {class: 'card warn', 'aria-labelledby': 'start-chain-title', 'data-testid': 'start-chain'},
    h('h2', {id: 'start-chain-title'}, 'Decide who approves, yourselves'),
    h('p', {}, `Today the provider's server says who the owners of ${client.name} are and which keys approve for them. ` +
      'A trust chain takes that out of its hands: from then on only keys you hold sign who approves, the policy and your agent, and your agent and this page check every signature themselves.'),
    h('p', {}, 'This browser becomes the chain’s first device. You can link more devices, and other owners, later.'),
    h('label', {for: 'genesis-device-name'}, 'Name for this device'),
    name,
    error,
    h('div', {class: 'buttons'}, h('button', {class: 'primary', type: 'button', onclick: prepare}, 'Make the recovery key')),
    step,
  );
}

/** For a browser the chain does not list: what that means, and "Link this device". */
export function linkThisDeviceCard(context) {
  const {session, client, trust} = context;
  const isOwner = trust.chain.state.owners.has(session.user);
  const name = h('input', {id: 'device-name', name: 'device-name', maxlength: 40, value: 'browser'});
  const result = h('div', {'aria-live': 'polite'});
  const error = h('p', {class: 'error', role: 'alert'});
  const link = async () => {
    error.textContent = '';
    try {
      const key = await browserKey(session.user);
      const body = trust.chain.nextBody(
        isOwner ? 'device.added' : 'owner.added',
        {owner: session.user, device: deviceJson(key.publicRaw, name.value.trim() || 'browser')},
        now(),
      );
      const statement = await signStatement(body, [key]);
      const offered = await api.post(`/clients/${api.enc(context.tenant)}/trust/links`, {statement});
      // The code carries this key's ID: the approving device takes only a link that adds it.
      const code = `${offered.code}.${key.keyId}`;
      replace(
        result,
        h('p', {}, 'Code: ', h('code', {'data-testid': 'link-code'}, code), ' (valid for 10 minutes, once)'),
        h(
          'p',
          {},
          'Key ID of this device: ',
          h('strong', {}, h('code', {'data-testid': 'link-key-id'}, key.keyId)),
          '. The device that approves shows the key ID it adds: check that it is this one.',
        ),
        h(
          'p',
          {class: 'muted'},
          'On a device of yours that is linked: open this dashboard, "People & agent", "Link a new device", and type ' +
            'the code. Or, with your key file: ',
          h('code', {class: 'wrap'}, `quartet trust approve-link --key YOUR_KEY_FILE --code ${code}`),
        ),
        h('button', {type: 'button', onclick: () => context.refresh()}, 'It is approved: check again'),
      );
      announce('A code to link this device was made.');
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  return h(
    'section',
    {class: 'card warn', 'aria-labelledby': 'link-this-title', 'data-testid': 'link-this-device'},
    h('h2', {id: 'link-this-title'}, 'This device is not linked'),
    h(
      'p',
      {},
      `${client.name}'s trust chain does not list this browser as one of your devices, so a decision signed here ` +
        'would count for nothing, and the page does not offer one.',
    ),
    isOwner
      ? [
          h('p', {}, 'Link it from a device of yours that is in the chain: this page makes a code for that device to approve.'),
          h('label', {for: 'device-name'}, 'Name for this device'),
          name,
          error,
          h('div', {class: 'buttons'}, h('button', {class: 'primary', type: 'button', onclick: link}, 'Link this device')),
          result,
        ]
      : session.role === 'owner'
        ? [
            h('p', {}, `You are not an owner in ${client.name}'s trust chain yet: this page makes a code for an owner who is to approve, with their own device.`),
            h('label', {for: 'device-name'}, 'Name for this device'),
            name,
            error,
            h('div', {class: 'buttons'}, h('button', {class: 'primary', type: 'button', onclick: link}, 'Ask to join the chain')),
            result,
          ]
        : h('p', {}, `${session.user} is not an owner in the chain: an owner adds you with their own device.`),
  );
}

function linkNewDeviceForm(context, me) {
  const input = h('input', {id: 'link-code', name: 'link-code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false'});
  const found = h('div', {'aria-live': 'polite'});
  const error = h('p', {class: 'error', role: 'alert'});
  const lookUp = async () => {
    error.textContent = '';
    replace(found);
    try {
      const typed = input.value.trim();
      const dot = typed.lastIndexOf('.');
      const expected = dot < 0 ? '' : typed.slice(dot + 1).toLowerCase();
      if (dot <= 0 || !KEY_ID.test(expected)) {
        throw new Error("A code ends with '.' and the new device's key ID, as the new device shows it.");
      }
      const {statement} = await api.get(`/clients/${api.enc(context.tenant)}/trust/links/${api.enc(typed.slice(0, dot))}`);
      // What the server relayed is checked against the chain replayed here.
      const link = await context.trust.chain.checkLink(statement);
      if (link.device.keyId !== expected) {
        throw new Error(
          `The server relayed a device with key ${link.device.keyId}, not ${expected} as the code says: refused. ` +
            'Nothing was signed.',
        );
      }
      if (!link.newOwner && link.owner !== me.owner) {
        throw new Error(`The device would be ${link.owner}'s, and this device is ${me.owner}'s: refused.`);
      }
      const approve = async () => {
        error.textContent = '';
        try {
          await submit(context, await addSignature(statement, me.key));
          announce(link.newOwner ? `${link.owner} signed in as an owner.` : `Linked ${link.device.name || 'the new device'}.`);
          context.refresh();
        } catch (failure) {
          error.textContent = failure.message;
        }
      };
      replace(
        found,
        h(
          'p',
          {'data-testid': 'link-found'},
          link.newOwner ? `${link.owner} asks to join the chain as an owner. Their device “${link.device.name || 'device'}” has key ID ` : `The new device “${link.device.name || 'device'}” has key ID `,
          h('strong', {}, h('code', {}, link.device.keyId)),
          '. Check that the new device shows the same key ID, then confirm.',
        ),
        h(
          'div',
          {class: 'buttons'},
          h('button', {class: 'primary', type: 'button', onclick: approve}, 'Confirm and link'),
          h('button', {type: 'button', onclick: () => replace(found)}, 'Cancel'),
        ),
      );
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  return [
    h('h3', {}, 'Link a new device'),
    h('p', {class: 'muted'}, 'On the new device, sign in and choose "Link this device", or run quartet trust link; then type the code it shows.'),
    h('label', {for: 'link-code'}, 'Code shown on the new device'),
    input,
    error,
    h('div', {class: 'buttons'}, h('button', {type: 'button', onclick: lookUp}, 'Look it up')),
    found,
  ];
}

/** For a linked browser: the owner's devices, each removable but this one, and linking a new one. */
export function devicesCard(context, me) {
  const devices = [...context.trust.chain.state.owners.get(me.owner).values()];
  const error = h('p', {class: 'error', role: 'alert'});
  const remove = async (device) => {
    if (!confirm(`Remove “${device.name || 'device'}” (key ${device.keyId})? It approves nothing from then on.`)) return;
    error.textContent = '';
    try {
      const body = context.trust.chain.nextBody('device.removed', {owner: me.owner, key_id: device.keyId}, now());
      await submit(context, await signStatement(body, [me.key]));
      announce(`Removed ${device.name || 'the device'}.`);
      context.refresh();
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  return h(
    'section',
    {class: 'card', 'aria-labelledby': 'devices-title', 'data-testid': 'devices'},
    h('h2', {id: 'devices-title'}, 'Your devices'),
    h('p', {class: 'muted'}, `The keys that approve for you, as ${context.client.name}'s trust chain lists them.`),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Key ID'), h('th', {scope: 'col'}, 'Added'), h('th', {scope: 'col'}, h('span', {class: 'visually-hidden'}, 'Action')))),
      h(
        'tbody',
        {},
        devices.map((device) =>
          h(
            'tr',
            {'data-key-id': device.keyId},
            h('td', {}, device.name || 'device'),
            h('td', {}, h('code', {}, device.keyId)),
            h('td', {}, formatTime(Number(device.addedAt), context.client.time_zone)),
            h(
              'td',
              {},
              device.keyId === me.key.keyId
                ? h('em', {}, 'this device')
                : h('button', {class: 'danger', type: 'button', onclick: () => remove(device), 'aria-label': `Remove ${device.name || 'device'} ${device.keyId}`}, 'Remove'),
            ),
          ),
        ),
      ),
    ),
    error,
    linkNewDeviceForm(context, me),
  );
}
