import { createHash } from 'node:crypto';
import { IConstruct } from 'constructs';

/**
 * Names of the library's own functions, state machines and topics start with this: the
 * monitoring-tamper rule (`MonitoringTamperAlarms`) matches code and workflow changes by it.
 */
export const LIBRARY_NAME_PREFIX = 'data-protection-';

/**
 * A physical name for a library resource: `data-protection-<8 hex of its construct path>-<id>`,
 * at most `maxLength` characters. The hash keeps names of the same id in different stacks (or
 * apps sharing an account) apart; the same construct path always gets the same name.
 */
export function libraryResourceName(scope: IConstruct, id: string, maxLength: number): string {
  const hash = createHash('sha256').update(`${scope.node.path}/${id}`).digest('hex').slice(0, 8);
  return `${LIBRARY_NAME_PREFIX}${hash}-${id}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, maxLength);
}
