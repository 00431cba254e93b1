/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  testTimeout: 120000,
  // Native kernels use both cores; running test files in parallel would only oversubscribe.
  maxWorkers: 1,
};
