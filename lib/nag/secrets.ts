import { flatten } from './inspect';

/** Names that end in a word saying "this is a secret", after splitting camelCase into words. */
const SECRET_NAME = /(^|_)(SECRET|SECRETS|PASSWORD|PASSWD|PWD|TOKEN|API_?KEY|APIKEY|PRIVATE_?KEY|ACCESS_?KEY|SECRET_?KEY|CREDENTIAL|CREDENTIALS|CONN_?STR|CONNECTION_?STRING|DSN)$/;
/** Values that are secrets whatever their name. */
const SECRET_VALUES: Array<[RegExp, string]> = [
  [/\{\{resolve:(secretsmanager|ssm-secure):/, 'a resolved Secrets Manager / SecureString value'],
  [/AKIA[0-9A-Z]{16}/, 'an AWS access key id'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, 'credentials in a URL'],
  [/^(ghp_|github_pat_|xox[abp]-|sk_live_|glpat-)/, 'a well-known token format'],
];

/** Why an environment variable holds a secret in plain text, or undefined when it does not. */
export function plainSecretReason(name: string, value: unknown): string | undefined {
  const text = flatten(value);
  for (const [re, what] of SECRET_VALUES) if (re.test(text)) return `${name} holds ${what}`;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  if (!SECRET_NAME.test(words)) return undefined;
  // Only a literal value is a hard-coded secret; a Ref/GetAtt names a resource (e.g. a secret ARN).
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (/^arn:/.test(value) || value.startsWith('/')) return undefined;
  return `${name} looks like a secret and holds a literal value`;
}
