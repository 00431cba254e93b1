# PyTorch 1.13 reference figures for bench/kernels/conv.js: GFLOP/s of conv2d forward and
# forward+backward (input and weight grads), best of NCHW and channels_last, median of runs.
# Usage: OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/conv.py '<json list of layers>'
import json, sys, time
import torch

torch.set_num_threads(2)

def median_time(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]

out = []
for L in json.loads(sys.argv[1]):
    macs = L['N'] * L['OH'] * L['OW'] * L['Cout'] * (L['Cin'] // L['groups']) * L['K'] * L['K']
    best = {'fwd': 0.0, 'fwdbwd': 0.0}
    for fmt in (torch.contiguous_format, torch.channels_last):
        conv = torch.nn.Conv2d(L['Cin'], L['Cout'], L['K'], stride=L['stride'], padding=L['pad'],
                               groups=L['groups'], bias=False).to(memory_format=fmt)
        x = torch.randn(L['N'], L['Cin'], L['H'], L['H']).to(memory_format=fmt).requires_grad_(True)
        with torch.no_grad():
            t = median_time(lambda: conv(x), L['runs'])
        best['fwd'] = max(best['fwd'], 2 * macs / t / 1e9)
        y = conv(x)
        g = torch.randn_like(y)
        def step():
            x.grad = None
            conv.weight.grad = None
            conv(x).backward(g)
        t = median_time(step, L['runs'])
        best['fwdbwd'] = max(best['fwdbwd'], 6 * macs / t / 1e9)
    out.append(best)
print(json.dumps(out))
