// Jest global setup: remember when the run started, so the teardown removes only the cloud
// assemblies this run wrote (see global-teardown.js).
module.exports = async () => {
  globalThis.__cdpTestRunStart = Date.now();
};
