/** Tensor names as they appear in generated names (`grad_<name>`, `bn_mean_<name>`) and file names: [A-Za-z0-9_] only. */
export function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}
