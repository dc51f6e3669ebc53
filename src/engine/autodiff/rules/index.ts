/** The rule table: ONNX op type -> gradient rule. One entry per op; rules live in one file per op family. */
import type { Rule } from '../rule.js';
import { BATCHNORM_RULE } from './batchnorm.js';
import { BINARY_RULES } from './binary.js';
import { CONV_RULE } from './conv.js';
import { DROPOUT_RULE } from './dropout.js';
import { ELEMENTWISE_RULES } from './elementwise.js';
import { GEMM_RULE, MATMUL_RULE } from './linear.js';
import { LAYERNORM_RULE } from './layernorm.js';
import { MOVEMENT_RULES } from './movement.js';
import { AVERAGEPOOL_RULE, GLOBALAVERAGEPOOL_RULE, GLOBALMAXPOOL_RULE, MAXPOOL_RULE } from './pool.js';
import { REDUCE_RULES } from './reduce.js';
import { SOFTMAX_RULES } from './softmax.js';

export const RULES: Readonly<Record<string, Rule>> = {
  ...ELEMENTWISE_RULES,
  ...BINARY_RULES,
  ...MOVEMENT_RULES,
  ...REDUCE_RULES,
  ...SOFTMAX_RULES,
  Conv: CONV_RULE,
  BatchNormalization: BATCHNORM_RULE,
  LayerNormalization: LAYERNORM_RULE,
  Dropout: DROPOUT_RULE,
  MatMul: MATMUL_RULE,
  Gemm: GEMM_RULE,
  MaxPool: MAXPOOL_RULE,
  AveragePool: AVERAGEPOOL_RULE,
  GlobalAveragePool: GLOBALAVERAGEPOOL_RULE,
  GlobalMaxPool: GLOBALMAXPOOL_RULE,
};

/** Ops whose outputs carry no gradient (shapes, indices, comparisons, random draws, piecewise-constant maps). */
export const NON_DIFFERENTIABLE: ReadonlySet<string> = new Set([
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range', 'NonZero', 'ArgMax', 'ArgMin',
  'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf',
  'Sign', 'Floor', 'Ceil', 'Round', 'OneHot', 'EyeLike',
  'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial',
]);
