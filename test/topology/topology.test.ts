/**
 * One jest file for topology's tests (each jest file reloads aws-cdk-lib, ~0.7 s of CPU): the tests live in
 * the imported *.tests.ts modules, with their own names.
 */
import './accounts.tests';
import './data-account-stack.tests';
import './data-store-guards.tests';
import './retention-vaults.tests';
import './audit-account-stack.tests';
import './backup-account-stack.tests';
import './reference-app.tests';
