/**
 * One jest file for nag's tests (each jest file reloads aws-cdk-lib, ~0.7 s of CPU): the tests live in
 * the imported *.tests.ts modules, with their own names.
 */
import './pack.tests';
import './rules.tests';
