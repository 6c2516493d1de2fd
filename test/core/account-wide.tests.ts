import { App, Stack } from 'aws-cdk-lib';
import { AccountWideWatcher, claimAccountWide } from '../../lib/core/account-wide';

describe('claimAccountWide', () => {
  test('the first stack of an account and region gets each watcher; later ones do not; other regions and apps do', () => {
    const app = new App();
    const env = { account: '222222222222', region: 'eu-west-1' };
    const first = new Stack(app, 'First', { env });
    const second = new Stack(app, 'Second', { env });
    const dr = new Stack(app, 'Dr', { env: { ...env, region: 'eu-central-1' } });
    expect(claimAccountWide(first, AccountWideWatcher.KEY_TAMPER)).toBe(true);
    expect(claimAccountWide(second, AccountWideWatcher.KEY_TAMPER)).toBe(false);
    expect(claimAccountWide(second, AccountWideWatcher.BACKUP_JOB_EVENTS)).toBe(true);
    expect(claimAccountWide(dr, AccountWideWatcher.KEY_TAMPER)).toBe(true);
    expect(claimAccountWide(new Stack(new App(), 'Elsewhere', { env }), AccountWideWatcher.KEY_TAMPER)).toBe(true);
  });

  test('environment-agnostic stacks always get one: their account is unknown', () => {
    const app = new App();
    expect(claimAccountWide(new Stack(app, 'A'), AccountWideWatcher.KEY_TAMPER)).toBe(true);
    expect(claimAccountWide(new Stack(app, 'B'), AccountWideWatcher.KEY_TAMPER)).toBe(true);
  });
});
