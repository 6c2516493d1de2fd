import { App } from 'aws-cdk-lib';
import { DataProtection } from '../lib';

/** Adds the five packs the reference app is checked with. */
export function addAllPacks(app: App): void {
  DataProtection.addPacks(app);
}
