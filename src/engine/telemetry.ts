/**
 * Keeps onnxruntime from writing telemetry. onnxruntime-node 1.30 (Linux and
 * macOS) otherwise creates a device id and an event database, which records
 * every session's model file name and graph hash, under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime (or `:memory:.ses` in the
 * working folder when HOME is not writable). The C API's switch,
 * DisableTelemetryEvents, takes the OrtEnv, which onnxruntime-node creates
 * itself and does not expose, and would act only after the environment's
 * start-up event anyway. The runtime reads ORT_DISABLE_TELEMETRY when it
 * creates that environment (at the first session), so this module sets it and
 * is imported before onnxruntime-node by every module that loads it.
 * Node's process.env writes through to the C environment the runtime reads.
 */
process.env['ORT_DISABLE_TELEMETRY'] = '1';

export const ORT_TELEMETRY_DISABLED = true;
