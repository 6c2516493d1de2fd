/**
 * How sensitive a piece of data is. The level decides the controls: which key encrypts it,
 * how long and where backups are kept, whether data events are audited, how often a restore
 * is drilled (see `ProtectionPolicy`).
 *
 * An enum-like class rather than a TypeScript enum so that it stays jsii friendly.
 */
export class DataClassification {
  /** Marketing content and anything already public. */
  public static readonly PUBLIC = new DataClassification('PUBLIC', 0);
  /** Business documents not meant for the public. */
  public static readonly INTERNAL = new DataClassification('INTERNAL', 1);
  /** Customer data: emails, CRM records, conversations. */
  public static readonly CONFIDENTIAL = new DataClassification('CONFIDENTIAL', 2);
  /** Salary, national id, passport, bank accounts, credentials. */
  public static readonly HIGHLY_SENSITIVE = new DataClassification('HIGHLY_SENSITIVE', 3);

  /** All levels, least sensitive first. */
  public static all(): DataClassification[] {
    return [DataClassification.PUBLIC, DataClassification.INTERNAL, DataClassification.CONFIDENTIAL, DataClassification.HIGHLY_SENSITIVE];
  }

  /**
   * The level with this name (as written in the `data-classification` tag).
   * @throws when the name is not a known level
   */
  public static fromName(name: string): DataClassification {
    const found = DataClassification.all().find((c) => c.name === name);
    if (!found) {
      throw new Error(`Unknown data classification '${name}': allowed values are ${DataClassification.all().map((c) => c.name).join(', ')}`);
    }
    return found;
  }

  private constructor(
    /** The name written into the `data-classification` tag. */
    public readonly name: string,
    /** 0 (PUBLIC) to 3 (HIGHLY_SENSITIVE). */
    public readonly rank: number,
  ) {}

  /** True when this level is as sensitive as `other`, or more. */
  public isAtLeast(other: DataClassification): boolean {
    return this.rank >= other.rank;
  }

  public toString(): string {
    return this.name;
  }
}
