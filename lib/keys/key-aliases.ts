import { DataClassification } from '../classification/data-classification';

/**
 * Deterministic alias names of the keys in the key account. Stacks in other accounts cannot
 * share tokens, so they rebuild the alias ARN from these names and resolve it at deploy time.
 */
export class KeyAliases {
  /** Key for data of a classification level. */
  public static forClassification(classification: DataClassification): string {
    return `alias/data-protection/data-${classification.name.toLowerCase().replace(/_/g, '-')}`;
  }
  /** Key of the backup account's vaults. */
  public static readonly BACKUP = 'alias/data-protection/backup';
  /** Key of the audit trail, its log group and its archive. */
  public static readonly AUDIT = 'alias/data-protection/audit';
  /** Key of drill evidence. */
  public static readonly EVIDENCE = 'alias/data-protection/evidence';
}
