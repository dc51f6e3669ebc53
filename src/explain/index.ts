/** Attribution methods behind one Explainer protocol, and metrics to judge them. */
export * from './protocol.js';
export * from './registry.js';
import './methods.js';
