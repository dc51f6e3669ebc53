// Every registered explainer: one import line per method file (each registers itself).
