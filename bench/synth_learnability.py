# Learnability check of the synthetic ECGs (not a test: needs PyTorch and minutes of CPU).
# A small 1D-ResNet (stem + 4 residual blocks, 32-128 channels) trained on
# strat_folds 1-8 and scored on fold 10 of a database exported by
# bench/_synth-export.ts: superclass AUROC (task cls) or age MAE against the
# training-mean baseline (task age).
# Run: npm run build && node dist/bench/_synth-export.js ptbxl 5000 /tmp/sx-ptbxl
#      /usr/bin/python3 bench/synth_learnability.py /tmp/sx-ptbxl cls 4
#      node dist/bench/_synth-export.js code15 5000 /tmp/sx-code15
#      /usr/bin/python3 bench/synth_learnability.py /tmp/sx-code15 age 6
import sys, time, numpy as np, torch, torch.nn as nn
torch.set_num_threads(2); torch.manual_seed(0)
d, task, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
X = torch.from_numpy(np.load(f'{d}/X.npy')); Y = torch.from_numpy(np.load(f'{d}/Y.npy')); A = torch.from_numpy(np.load(f'{d}/age.npy')); F = np.load(f'{d}/fold.npy')
tr, te = np.where(F <= 8)[0], np.where(F == 10)[0]
class Block(nn.Module):
    def __init__(s, ci, co, st):
        super().__init__()
        s.c1 = nn.Conv1d(ci, co, 9, st, 4, bias=False); s.b1 = nn.BatchNorm1d(co)
        s.c2 = nn.Conv1d(co, co, 9, 1, 4, bias=False); s.b2 = nn.BatchNorm1d(co)
        s.sk = nn.Sequential(nn.Conv1d(ci, co, 1, st, bias=False), nn.BatchNorm1d(co))
    def forward(s, x): return torch.relu(s.b2(s.c2(torch.relu(s.b1(s.c1(x))))) + s.sk(x))
out = 5 if task == 'cls' else 1
net = nn.Sequential(nn.Conv1d(12, 32, 15, 2, 7, bias=False), nn.BatchNorm1d(32), nn.ReLU(), Block(32, 32, 2), Block(32, 64, 2), Block(64, 64, 2), Block(64, 128, 2), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(128, out))
opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-3)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=epochs * (len(tr) // 64 + 1))
am, asd = A[tr].mean(), A[tr].std()
def auroc(s, y):
    o = np.argsort(s); r = np.empty(len(s)); r[o] = np.arange(1, len(s) + 1); p = y.sum(); n = len(y) - p
    return (r[y == 1].sum() - p * (p + 1) / 2) / (p * n)
for ep in range(epochs):
    net.train(); t0 = time.time(); perm = np.random.RandomState(ep).permutation(tr)
    for b in range(0, len(perm), 64):
        i = perm[b:b + 64]; x = X[i]
        o = net(x)
        loss = nn.functional.binary_cross_entropy_with_logits(o, Y[i]) if task == 'cls' else (o[:, 0] - (A[i] - am) / asd).abs().mean()
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    net.eval()
    with torch.no_grad(): o = torch.cat([net(X[te[b:b + 256]]) for b in range(0, len(te), 256)]).numpy()
    if task == 'cls':
        a = [auroc(o[:, j], Y[te, j].numpy()) for j in range(5)]
        print(f'epoch {ep} {time.time()-t0:.0f}s loss {loss.item():.3f} AUROC', ' '.join(f'{v:.3f}' for v in a), f'macro {np.mean(a):.3f}', flush=True)
    else:
        pred = o[:, 0] * asd.item() + am.item(); mae = np.abs(pred - A[te].numpy()).mean(); base = np.abs(am.item() - A[te].numpy()).mean()
        print(f'epoch {ep} {time.time()-t0:.0f}s MAE {mae:.2f} baseline {base:.2f} ({100*(1-mae/base):.1f}% better)', flush=True)
