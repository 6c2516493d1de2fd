/** Names shared by constructs, handlers, nag rules and the report. Handlers import only this file. */

/** Tag that carries a resource's classification (`DataClassification.name`). */
export const CLASSIFICATION_TAG = 'data-classification';

/** Tag on every resource a restore drill creates; cleanup permissions are conditioned on it. */
export const DRILL_TAG = 'data-protection:drill';

/** Name prefix of every resource a restore drill creates. */
export const DRILL_PREFIX = 'drill-';

/** Construct metadata types written into the cloud assembly and read by the report. */
export const METADATA = {
  /** `{ classification, policy, overrides }` on a classified construct. */
  CLASSIFIED: 'cdk-data-protection:classified',
  /** `{ prop, floor, value, reason }` for each control loosened below its floor. */
  OVERRIDE: 'cdk-data-protection:override',
  /** `{ control, detail }` describing a protection a construct provides. */
  CONTROL: 'cdk-data-protection:control',
} as const;

/** CloudWatch namespace for metrics the library publishes. */
export const METRIC_NAMESPACE = 'DataProtection';
