# cls
node dist/src/cli/main.js train --data ../shared/data/ptbxl --labels ../shared/data/ptbxl/cinc2020_labels.csv --task labels --min-positives 50 --model 'resnet1d:filters=16,32,32,64,64;downsample=2,2,4,4;kernel=9' --epochs 10 --lr 2e-3 --batch-size 64 --cv 10 --seed 1 --threads 2 --out runs/study/cls
# cls-eval
node dist/src/cli/main.js evaluate --run runs/study/cls --json > runs/study/cls-eval.json
# tlc-k8
node dist/src/cli/main.js tlc evaluate --run runs/study/cls --k 8 --waves delineate --noise 0.1 --seed 0 --threads 2 --out runs/study/tlc-k8
# tlc-k8-inertia
node dist/src/cli/main.js tlc evaluate --run runs/study/cls --k 8 --temperature inertia --fold 1,2,3 --waves delineate --noise 0.1 --seed 0 --threads 2 --out runs/study/tlc-k8-inertia
# tlc-k4
node dist/src/cli/main.js tlc evaluate --run runs/study/cls --k 4 --fold 1,2,3 --waves delineate --seed 0 --threads 2 --out runs/study/tlc-k4
# tlc-k4
node dist/src/cli/main.js tlc evaluate --run runs/study/cls --k 4 --fold 1,2,3 --waves delineate --seed 0 --threads 2 --out runs/study/tlc-k4
# tlc-k12
node dist/src/cli/main.js tlc evaluate --run runs/study/cls --k 12 --fold 1,2,3 --waves delineate --seed 0 --threads 2 --out runs/study/tlc-k12
# tlc-frac-0.1
node dist/src/cli/main.js tlc evaluate --run runs/study/cls --k 8 --train-fraction 0.1 --fold 1,2,3 --waves delineate --seed 0 --threads 2 --out runs/study/tlc-frac-0.1
# tlc-frac-0.25
node dist/src/cli/main.js tlc evaluate --run runs/study/cls --k 8 --train-fraction 0.25 --fold 1,2,3 --waves delineate --seed 0 --threads 2 --out runs/study/tlc-frac-0.25
# tlc-frac-0.5
node dist/src/cli/main.js tlc evaluate --run runs/study/cls --k 8 --train-fraction 0.5 --fold 1,2,3 --waves delineate --seed 0 --threads 2 --out runs/study/tlc-frac-0.5
# ludb
node dist/src/cli/main.js tlc align --tlc runs/study/tlc-k8/tlc-fold-1.json --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ludb --threads 2 --json > runs/study/ludb-align.json
# gradcam-entropy
node dist/scripts/study/gradcam-entropy.js --run runs/study/cls --tlc-dir runs/study/tlc-k8 --folds 1,2,3 --threads 2 --out runs/study/gradcam-entropy.json
# lq-train-1
node dist/src/cli/main.js tlc label-quality --run runs/study/cls --fold 1 --tlc runs/study/tlc-k8/tlc-fold-1.json --flip 0.05 --threads 2 --json > runs/study/lq-train-1.json
# lq-test-1
node dist/src/cli/main.js tlc label-quality --run runs/study/cls --fold 1 --tlc runs/study/tlc-k8/tlc-fold-1.json --test-fold --flip 0.05 --threads 2 --json > runs/study/lq-test-1.json
# lq-train-2
node dist/src/cli/main.js tlc label-quality --run runs/study/cls --fold 2 --tlc runs/study/tlc-k8/tlc-fold-2.json --flip 0.05 --threads 2 --json > runs/study/lq-train-2.json
# lq-test-2
node dist/src/cli/main.js tlc label-quality --run runs/study/cls --fold 2 --tlc runs/study/tlc-k8/tlc-fold-2.json --test-fold --flip 0.05 --threads 2 --json > runs/study/lq-test-2.json
# lq-train-3
node dist/src/cli/main.js tlc label-quality --run runs/study/cls --fold 3 --tlc runs/study/tlc-k8/tlc-fold-3.json --flip 0.05 --threads 2 --json > runs/study/lq-train-3.json
# lq-test-3
node dist/src/cli/main.js tlc label-quality --run runs/study/cls --fold 3 --tlc runs/study/tlc-k8/tlc-fold-3.json --test-fold --flip 0.05 --threads 2 --json > runs/study/lq-test-3.json
# explain-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 31,37,45,51,53,58,78,79,81,90,96,120,128,131,134,168 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-1.json --waves delineate --threads 2 --out runs/study/explain-1
# random-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 31,37,45,51,53,58 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion --waves delineate --randomization --threads 2 --out runs/study/random-1
# wave-LBBB-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 279,635,1072,1564,1800,2066,2672,3304 --target LBBB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-1.json --waves delineate --threads 2 --out runs/study/wave-LBBB-1
# wave-CRBBB-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 269,424,1066,1625,2311,2742,3041,3339 --target CRBBB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-1.json --waves delineate --threads 2 --out runs/study/wave-CRBBB-1
# wave-TAb-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 128,134,308,318,425,427,496,503 --target TAb --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-1.json --waves delineate --threads 2 --out runs/study/wave-TAb-1
# wave-TInv-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 468,912,1469,1844,2253,3076,3445,4112 --target TInv --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-1.json --waves delineate --threads 2 --out runs/study/wave-TInv-1
# wave-IAVB-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 234,524,800,1066,1469,1927,1939,2206 --target IAVB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-1.json --waves delineate --threads 2 --out runs/study/wave-IAVB-1
# wave-AF-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 318,697,703,1077,1193,1203,1430,1486 --target AF --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-1.json --waves delineate --threads 2 --out runs/study/wave-AF-1
# explain-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 9,16,25,38,46,57,64,74,93,94,98,108,119,129,138,152 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-2.json --waves delineate --threads 2 --out runs/study/explain-2
# random-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 9,16,25,38,46,57 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion --waves delineate --randomization --threads 2 --out runs/study/random-2
# wave-LBBB-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 346,1367,2135,2136,2365,2581,4148,4934 --target LBBB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-2.json --waves delineate --threads 2 --out runs/study/wave-LBBB-2
# wave-CRBBB-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 455,1049,1157,2034,2227,2243,2493,2684 --target CRBBB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-2.json --waves delineate --threads 2 --out runs/study/wave-CRBBB-2
# wave-TAb-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 209,261,265,288,319,325,400,546 --target TAb --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-2.json --waves delineate --threads 2 --out runs/study/wave-TAb-2
# wave-TInv-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 695,941,1102,1215,1324,1687,1981,2624 --target TInv --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-2.json --waves delineate --threads 2 --out runs/study/wave-TInv-2
# wave-IAVB-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 209,346,535,864,1684,1721,2165,2227 --target IAVB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-2.json --waves delineate --threads 2 --out runs/study/wave-IAVB-2
# wave-AF-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 152,282,452,557,594,610,761,866 --target AF --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-2.json --waves delineate --threads 2 --out runs/study/wave-AF-2
# explain-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 4,5,18,26,32,59,65,72,97,107,110,114,118,154,155,174 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-3.json --waves delineate --threads 2 --out runs/study/explain-3
# random-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 4,5,18,26,32,59 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion --waves delineate --randomization --threads 2 --out runs/study/random-3
# wave-LBBB-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 286,287,517,796,3484,4331,4366,4560 --target LBBB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-3.json --waves delineate --threads 2 --out runs/study/wave-LBBB-3
# wave-CRBBB-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 428,826,903,1123,1232,1240,1688,3058 --target CRBBB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-3.json --waves delineate --threads 2 --out runs/study/wave-CRBBB-3
# wave-TAb-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 305,344,413,495,555,601,873,963 --target TAb --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-3.json --waves delineate --threads 2 --out runs/study/wave-TAb-3
# wave-TInv-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 714,1403,1801,2705,2960,3173,3213,4053 --target TInv --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-3.json --waves delineate --threads 2 --out runs/study/wave-TInv-3
# wave-IAVB-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 182,413,555,563,685,883,1014,1232 --target IAVB --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-3.json --waves delineate --threads 2 --out runs/study/wave-IAVB-3
# wave-AF-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 330,351,428,482,500,963,1229,1419 --target AF --method gradcam,saliency,ig,occlusion,tlc --tlc runs/study/tlc-k8/tlc-fold-3.json --waves delineate --threads 2 --out runs/study/wave-AF-3
# age
node dist/src/cli/main.js train --data ../shared/data/ptbxl --labels ../shared/data/ptbxl/cinc2020_labels.csv --task age --model 'resnet1d:filters=16,32,32,64,64;downsample=2,2,4,4;kernel=9' --epochs 8 --lr 2e-3 --batch-size 64 --cv 5 --seed 1 --threads 2 --out runs/study/age
# age-eval
node dist/src/cli/main.js evaluate --run runs/study/age --json > runs/study/age-eval.json
# tlc-age
node dist/src/cli/main.js tlc evaluate --run runs/study/age --k 8 --waves delineate --seed 0 --threads 2 --out runs/study/tlc-age
# explain-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 31,37,45,51,53,58,78,79,81,90,96,120,128,131,134,168 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,deeplift,deeplift-shap,gradient-shap,guided-backprop,guided-gradcam,lrp,shap-waves,lime,tlc --tlc runs/study/tlc-k8/tlc-fold-1.json --waves delineate --threads 2 --out runs/study/explain-1
# random-1
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-1/model.onnx --data ../shared/data/ptbxl --records 31,37,45,51,53,58 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,deeplift,deeplift-shap,gradient-shap,guided-backprop,guided-gradcam,lrp,shap-waves,lime --waves delineate --randomization --threads 2 --out runs/study/random-1
# explain-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 9,16,25,38,46,57,64,74,93,94,98,108,119,129,138,152 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,deeplift,deeplift-shap,gradient-shap,guided-backprop,guided-gradcam,lrp,shap-waves,lime,tlc --tlc runs/study/tlc-k8/tlc-fold-2.json --waves delineate --threads 2 --out runs/study/explain-2
# random-2
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-2/model.onnx --data ../shared/data/ptbxl --records 9,16,25,38,46,57 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,deeplift,deeplift-shap,gradient-shap,guided-backprop,guided-gradcam,lrp,shap-waves,lime --waves delineate --randomization --threads 2 --out runs/study/random-2
# explain-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 4,5,18,26,32,59,65,72,97,107,110,114,118,154,155,174 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,deeplift,deeplift-shap,gradient-shap,guided-backprop,guided-gradcam,lrp,shap-waves,lime,tlc --tlc runs/study/tlc-k8/tlc-fold-3.json --waves delineate --threads 2 --out runs/study/explain-3
# random-3
node dist/src/cli/main.js explain evaluate --model runs/study/cls/fold-3/model.onnx --data ../shared/data/ptbxl --records 4,5,18,26,32,59 --method gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,deeplift,deeplift-shap,gradient-shap,guided-backprop,guided-gradcam,lrp,shap-waves,lime --waves delineate --randomization --threads 2 --out runs/study/random-3
