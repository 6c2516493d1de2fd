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
