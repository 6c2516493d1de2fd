import { App } from 'aws-cdk-lib';
import { addDataProtectionPacks } from '../lib';

/** Adds the five packs the reference app is checked with. */
export function addAllPacks(app: App): void {
  addDataProtectionPacks(app);
}
