import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CONTROLS } from '../../../core/controls';
import { DATA_EVENT_TYPES, trailCoverage } from '../../coverage';
import { classificationOf, controlsOn, resourcesOfType } from '../../inspect';
import { defineRule } from '../../rule';

/** Classified S3 buckets and DynamoDB tables whose policy requires it have their data events recorded. */
export default defineRule({
  id: 'ClassifiedDataEvents',
  info: 'The classified S3 bucket or DynamoDB table must have its data events audited (policy dataEvents, CONFIDENTIAL and above) but no trail records both its reads and writes.',
  explanation:
    'Management events do not show who read or changed which object or item: without data events a mass read or an export leaves no trace, and denied attempts are invisible. DataAccessTrail adds advanced event selectors for classified resources only; hand-written trails must select the resource type with eventCategory=Data and no narrowing that excludes the resource.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (!DATA_EVENT_TYPES[node.cfnResourceType]) return NagRuleCompliance.NOT_APPLICABLE;
    const c = classificationOf(node);
    if (!c || !c.policy.dataEvents) return NagRuleCompliance.NOT_APPLICABLE;
    if (controlsOn(node, CONTROLS.DATA_EVENTS).length > 0) return NagRuleCompliance.COMPLIANT;
    let read = false;
    let write = false;
    for (const trail of resourcesOfType(node, 'AWS::CloudTrail::Trail')) {
      const got = trailCoverage(trail, node);
      read ||= got.read;
      write ||= got.write;
    }
    return read && write ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});
