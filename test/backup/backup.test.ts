/**
 * One jest file for backup's tests (each jest file reloads aws-cdk-lib, ~0.7 s of CPU): the tests live in
 * the imported *.tests.ts modules, with their own names.
 */
import './backup-compliance.tests';
import './immutable-backup-vault.tests';
import './object-lock-bucket.tests';
import './protected-backup-plan.tests';
