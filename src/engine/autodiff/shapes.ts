// Moved to the shared shape inference of engine/onnx; re-exported until every importer is switched.
export { ShapeInfo, nodeAxes, sliceRange, sliceLength, type Dim, type Shape } from '../onnx/shapes.js';
