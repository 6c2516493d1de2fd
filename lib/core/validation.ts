import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Throws when `value` is outside `[min, max]`. Unresolved tokens are skipped: they are
 * only known at deploy time. The message names the prop, the value and the allowed range.
 *
 * @param prop fully qualified prop name, e.g. `ProtectedKeyProps.rotationPeriodDays`
 */
export function validateRange(prop: string, value: number | undefined, min: number, max: number, unit = ''): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const u = unit ? ` ${unit}` : '';
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${prop} must be between ${min} and ${max}${u}, got ${value}${u}`);
  }
}

/**
 * Throws when `value` is a token (a value known only at deploy time, e.g. a parameter or an
 * imported output), for props the library computes or compares with at synth: a token's
 * placeholder number would be compared instead, and the result would be wrong in silence.
 *
 * @param why what the value takes part in at synth, e.g. 'it is compared with the vault lock'
 */
export function requireLiteral(prop: string, value: number | Duration | undefined, why: string): void {
  if (value === undefined) return;
  const unresolved = typeof value === 'number' ? Token.isUnresolved(value) : value.isUnresolved();
  if (unresolved) throw new Error(`${prop} needs a literal value, got a token (known only at deploy time): ${why}`);
}

/**
 * A duration in `unit`. A token is accepted when given in that unit (`Duration.days(token)` for
 * days): aws-cdk-lib cannot convert a token between units at synth.
 */
export function durationIn(prop: string, value: Duration, unit: 'days' | 'hours' | 'minutes' | 'seconds'): number {
  const convert = { days: () => value.toDays(), hours: () => value.toHours(), minutes: () => value.toMinutes(), seconds: () => value.toSeconds() }[unit];
  if (!value.isUnresolved()) return convert();
  try {
    return convert();
  } catch {
    throw new Error(`${prop} needs a literal value, or a token given in ${unit} (Duration.${unit}(token)): a token cannot be converted between units at synth, got ${value.toString()}`);
  }
}

/** Throws when `value` is not an integer (tokens skipped). */
export function validateInteger(prop: string, value: number | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value)) throw new Error(`${prop} must be a whole number, got ${value}`);
}

/** Throws unless `value` is a 12-digit AWS account id (tokens skipped). */
export function validateAccountId(prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) {
    if (value === undefined) throw new Error(`${prop} must be a 12-digit AWS account id, got undefined`);
    return;
  }
  if (!/^\d{12}$/.test(value)) throw new Error(`${prop} must be a 12-digit AWS account id, got '${value}'`);
}

/**
 * Organization ids: `o-` and 10 to 32 lowercase letters or digits (AWS Organizations API
 * reference, `Organization.Id` pattern `^o-[a-z0-9]{10,32}$`).
 */
export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;

/** The organization id of this repository's cdk.json, README and examples. */
export const PLACEHOLDER_ORGANIZATION_ID = 'o-exampleorg1';

/**
 * A documentation placeholder account id: eleven equal leading digits (`111111111111`,
 * `222222222223`), as in this repository's cdk.json, README and examples. Nobody deploys to
 * such an account, so a placeholder organization id next to them cannot reach a real vault.
 */
export function isPlaceholderAccount(id: string): boolean {
  return /^(\d)\1{10}\d$/.test(id);
}

const WHERE_ORGANIZATION_ID =
  "find it in the AWS Organizations console (the organization's details: Organization ID) or with `aws organizations describe-organization --query Organization.Id --output text`";

/**
 * Cross-account backup copies need the organization: AWS Backup copies between accounts of one
 * organization only, after cross-account backup is turned on in its management account
 * ("Creating backup copies across AWS accounts", AWS Backup Developer Guide), and the receiving
 * vaults admit copies only from inside it (`aws:PrincipalOrgID`). A missing, malformed or
 * placeholder id is a synth error, except that a layout made only of placeholder account ids
 * (`isPlaceholderAccount`) may keep the placeholder (or none) so the examples synthesize offline.
 * Unresolved tokens are accepted.
 */
export function validateOrganizationId(prop: string, organizationId: string | undefined, accounts: string[]): void {
  if (organizationId !== undefined && Token.isUnresolved(organizationId)) return;
  const literal = accounts.filter((a) => !Token.isUnresolved(a));
  const real = [...new Set(literal.filter((a) => !isPlaceholderAccount(a)))];
  const placeholderLayout = literal.length > 0 && real.length === 0;
  if (organizationId === undefined || organizationId.trim() === '') {
    if (placeholderLayout) return;
    throw new Error(
      `${prop} is required for cross-account backup copies: AWS Backup copies between accounts of one AWS Organization only, and the receiving vaults admit copies only from inside it. ` +
        `Set it to your organization id (o- and 10-32 lowercase letters or digits); ${WHERE_ORGANIZATION_ID}`,
    );
  }
  if (!ORGANIZATION_ID_PATTERN.test(organizationId)) {
    throw new Error(`${prop} must match ^o-[a-z0-9]{10,32}$, got '${organizationId}'; ${WHERE_ORGANIZATION_ID}`);
  }
  if (organizationId === PLACEHOLDER_ORGANIZATION_ID && !placeholderLayout) {
    throw new Error(
      `${prop} is the placeholder '${PLACEHOLDER_ORGANIZATION_ID}' of the examples, accepted only with placeholder account ids (eleven equal leading digits, such as 111111111111) for offline synth; ` +
        `the layout names real accounts (${(real.length ? real : ['deploy-time tokens']).join(', ')}). Set your organization id: ${WHERE_ORGANIZATION_ID}`,
    );
  }
}

/*
 * Ids of AWS Organizations, as the AWS Organizations API reference gives their patterns (AttachPolicy
 * `TargetId`, https://docs.aws.amazon.com/organizations/latest/APIReference/API_AttachPolicy.html):
 * a root is "r-" followed by 4 to 32 lowercase letters or digits; an account exactly 12 digits; an OU
 * "ou-", 4 to 32 lowercase letters or digits (the id of its root), a second "-" and 8 to 32 more
 * lowercase letters or digits.
 */
/** Organizational unit ids: `ou-<4-32 of [0-9a-z]>-<8-32 of [a-z0-9]>`. */
export const ORGANIZATIONAL_UNIT_ID_PATTERN = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
/** Root ids: `r-<4-32 of [0-9a-z]>`. */
export const ROOT_ID_PATTERN = /^r-[0-9a-z]{4,32}$/;
/**
 * Region names: a 2-4 letter area (`us`, `eu`, `ap`, `eusc`), optional qualifiers (`gov`, `iso`),
 * a direction, a number (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`).
 */
export const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

/** Throws unless `value` is an organization id (`o-` and 10-32 lowercase letters or digits); tokens skipped. */
export function validateOrganizationIdFormat(prop: string, value: string | undefined): void {
  if (value !== undefined && Token.isUnresolved(value)) return;
  if (value === undefined || !ORGANIZATION_ID_PATTERN.test(value)) {
    throw new Error(`${prop} must be an organization id matching ^o-[a-z0-9]{10,32}$ (e.g. o-a1b2c3d4e5), got ${value === undefined ? 'undefined' : `'${value}'`}`);
  }
}

/** Throws unless `value` is an organizational unit id (tokens skipped). The message names the prop, the value and the pattern. */
export function validateOrganizationalUnitId(prop: string, value: string | undefined): void {
  if (value !== undefined && Token.isUnresolved(value)) return;
  if (value === undefined || !ORGANIZATIONAL_UNIT_ID_PATTERN.test(value)) {
    throw new Error(`${prop} must be an organizational unit id matching ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$ (e.g. ou-ab12-cdef3456), got ${value === undefined ? 'undefined' : `'${value}'`}`);
  }
}

/** Throws unless `value` is an organization root id (tokens skipped). */
export function validateRootId(prop: string, value: string | undefined): void {
  if (value !== undefined && Token.isUnresolved(value)) return;
  if (value === undefined || !ROOT_ID_PATTERN.test(value)) {
    throw new Error(`${prop} must be an organization root id matching ^r-[0-9a-z]{4,32}$ (e.g. r-ab12), got ${value === undefined ? 'undefined' : `'${value}'`}`);
  }
}

/** Throws unless `value` is an AWS Region name such as `eu-west-1` (tokens skipped). */
export function validateRegion(prop: string, value: string | undefined): void {
  if (value !== undefined && Token.isUnresolved(value)) return;
  if (value === undefined || !REGION_PATTERN.test(value)) {
    throw new Error(`${prop} must be a Region name matching ${REGION_PATTERN.source} (e.g. eu-west-1, us-gov-west-1), got ${value === undefined ? 'undefined' : `'${value}'`}`);
  }
}

/**
 * Throws unless `value` is an id a policy can be attached to: a root (`r-…`), an organizational unit
 * (`ou-…`) or an account (12 digits). Tokens skipped.
 */
export function validatePolicyTargetId(prop: string, value: string | undefined): void {
  if (value !== undefined && Token.isUnresolved(value)) return;
  if (value !== undefined && value.startsWith('ou-')) return validateOrganizationalUnitId(prop, value);
  if (value !== undefined && value.startsWith('r-')) return validateRootId(prop, value);
  if (value !== undefined && /^\d+$/.test(value)) return validateAccountId(prop, value);
  throw new Error(
    `${prop} must be a root id (^r-[0-9a-z]{4,32}$), an organizational unit id (^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$) or a 12-digit account id, got ${value === undefined ? 'undefined' : `'${value}'`}`,
  );
}

/** Throws unless `reason` is a non-empty string; used wherever a control is loosened. */
export function requireReason(prop: string, reason: string | undefined, what: string): string {
  if (reason === undefined || reason.trim().length === 0) {
    throw new Error(`${prop} needs a non-empty reason: ${what}`);
  }
  return reason.trim();
}

/**
 * Warns loudly about a setting that cannot be undone once deployed. The warning shows on
 * every `cdk synth` and in the checklist report.
 */
export function warnIrreversible(scope: IConstruct, message: string): void {
  Annotations.of(scope).addWarningV2('cdk-data-protection:irreversible', `IRREVERSIBLE: ${message}`);
}

/** Throws unless a literal `arn` is an EventBridge event bus ARN (`arn:<partition>:events:<region>:<account>:event-bus/<name>`); returns it. */
export function validateEventBusArn(prop: string, arn: string | undefined): string | undefined {
  if (arn === undefined || Token.isUnresolved(arn)) return arn;
  if (!/^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256}$/.test(arn)) {
    throw new Error(`${prop} must be an EventBridge event bus ARN (arn:<partition>:events:<region>:<12-digit account>:event-bus/<name>), got '${arn}'`);
  }
  return arn;
}
