import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { propsOf } from '../../inspect';
import { defineRule } from '../../rule';

/** Symmetric keys rotate automatically, within 90–2560 days. */
export default defineRule({
  id: 'KMSKeyRotation',
  info: 'The symmetric KMS key does not rotate automatically (EnableKeyRotation not true, or RotationPeriodInDays outside 90-2560).',
  explanation:
    'A key that cannot rotate safely never rotates and is used far beyond its recommended lifetime. KMS rotation keeps old key material for decryption, so rotation never breaks old data or old backups. ProtectedKey always enables it.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::KMS::Key') return NagRuleCompliance.NOT_APPLICABLE;
    const p = propsOf(node);
    // Asymmetric and HMAC keys cannot rotate automatically.
    if (p.KeySpec !== undefined && p.KeySpec !== 'SYMMETRIC_DEFAULT') return NagRuleCompliance.NOT_APPLICABLE;
    if (p.EnableKeyRotation !== true && p.EnableKeyRotation !== 'true') return NagRuleCompliance.NON_COMPLIANT;
    const period = p.RotationPeriodInDays === undefined ? 365 : Number(p.RotationPeriodInDays);
    return period >= 90 && period <= 2560 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});
