/** The product's words, as the server and the log spell them, and how people read them. */

export const labelNames = ['email', 'financial', 'hr', 'personal', 'health', 'legal', 'credentials', 'backups'];
export const kindNames = [
  'ssh-host',
  'mailbox',
  'file-share',
  'finance-system',
  'network-device',
  'saas-console',
  'backup',
];
export const actionNames = [
  'login',
  'reveal-credential',
  'open-mailbox',
  'read-files',
  'change-files',
  'administer',
  'restore-backup',
];
export const providerRoles = ['technician', 'senior-technician', 'provider-admin'];
export const dayNames = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const labelText = {hr: 'HR'};
const kindText = {
  'ssh-host': 'server (SSH)',
  mailbox: 'mailbox',
  'file-share': 'file share',
  'finance-system': 'finance system',
  'network-device': 'network device',
  'saas-console': 'admin console',
  backup: 'backup',
};
const actionText = {
  login: 'log in',
  'reveal-credential': 'see a stored password',
  'open-mailbox': 'open the mailbox',
  'read-files': 'read files',
  'change-files': 'change files',
  administer: 'administer',
  'restore-backup': 'restore a backup',
};

export const labelLabel = (name) => labelText[name] ?? name;
export const kindLabel = (name) => kindText[name] ?? name;
export const actionLabel = (name) => actionText[name] ?? name;

/** The canonical request's label bit set -> names. */
export function labelsOf(bits) {
  return labelNames.filter((_, i) => bits & (1 << i));
}

/** Labels that mean private data: shown in a warning colour. */
export const sensitive = new Set(['email', 'financial', 'hr', 'personal', 'health', 'legal', 'credentials']);

export const stateText = {
  pending: 'Waiting for an owner',
  approved: 'Approved',
  denied: 'Denied',
  ended: 'Ended',
  revoked: 'Revoked',
  expired: 'Expired unanswered',
};
