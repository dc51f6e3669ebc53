// The local web app (node:http + a small served script) and the headless-browser helpers of its tests.
export { startApp, type AppOptions, type RunningApp } from './server.js';
export { AppSession, MAX_UPLOAD_BYTES, type AppSource, type RecordSummary } from './session.js';
