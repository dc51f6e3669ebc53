// Every registered explainer: one import line per method file (each registers itself).
import './gradcam.js';
import './saliency.js';
import './input-x-gradient.js';
import './smoothgrad.js';
import './integrated-gradients.js';
import './occlusion.js';
import './tlc-explainer.js';
