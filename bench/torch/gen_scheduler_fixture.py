#!/usr/bin/env python3
"""Writes test/fixtures/schedulers.json: learning-rate (and momentum) sequences of
torch.optim.lr_scheduler (PyTorch 1.13) for convkit's scheduler tests.

Run from the repository root with the system Python that has PyTorch 1.13:

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/gen_scheduler_fixture.py

(then it formats the JSON with the repository's prettier, as `npm run lint` expects).

Each case is described with convkit's option names (camelCase); `build` translates them to
PyTorch's keyword arguments, so the test constructs exactly the same schedules. Sequences hold
get_last_lr() right after construction and after every step: `lrs[k][g]` is the lr of group g
after k steps. For OneCycleLR with cycleMomentum, `momentums[k][g]` is the group's momentum
(SGD) or beta1 (Adam) at the same points. ReduceLROnPlateau steps are fed `metrics[k]`.
"""

import json
import math
import os
import subprocess
import sys
import warnings

import torch
from torch.optim import lr_scheduler as sch

warnings.simplefilter('ignore')

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'schedulers.json')

SNAKE = {
    'stepSize': 'step_size',
    'tMax': 'T_max',
    'etaMin': 'eta_min',
    'startFactor': 'start_factor',
    'endFactor': 'end_factor',
    'totalIters': 'total_iters',
    'maxLr': 'max_lr',
    'totalSteps': 'total_steps',
    'stepsPerEpoch': 'steps_per_epoch',
    'pctStart': 'pct_start',
    'annealStrategy': 'anneal_strategy',
    'cycleMomentum': 'cycle_momentum',
    'baseMomentum': 'base_momentum',
    'maxMomentum': 'max_momentum',
    'divFactor': 'div_factor',
    'finalDivFactor': 'final_div_factor',
    'threePhase': 'three_phase',
    'thresholdMode': 'threshold_mode',
    'minLr': 'min_lr',
}


def kwargs(options):
    return {SNAKE.get(k, k): v for k, v in options.items()}


def make_optimizer(kind, groups):
    params = [{'params': [torch.nn.Parameter(torch.zeros(1))], **g} for g in groups]
    if kind == 'SGD':
        return torch.optim.SGD(params, lr=groups[0]['lr'])
    if kind == 'Adam':
        return torch.optim.Adam(params, lr=groups[0]['lr'])
    raise ValueError(kind)


def build(optimizer, spec):
    kind, options = spec['scheduler'], spec.get('options', {})
    if kind == 'SequentialLR':
        inner = [build(optimizer, s) for s in options['schedulers']]
        return sch.SequentialLR(optimizer, inner, options['milestones'])
    if kind == 'ChainedScheduler':
        return sch.ChainedScheduler([build(optimizer, s) for s in options['schedulers']])
    return getattr(sch, kind)(optimizer, **kwargs(options))


def momentum_of(group):
    return group['betas'][0] if 'betas' in group else group['momentum']


def run(case):
    optimizer = make_optimizer(case['optimizer'], case['groups'])
    scheduler = build(optimizer, case)
    track_momentum = case['scheduler'] == 'OneCycleLR' and case['options'].get(
        'cycleMomentum', True)
    metrics = case.get('metrics')

    def lrs():
        if isinstance(scheduler, sch.ReduceLROnPlateau):
            return [g['lr'] for g in optimizer.param_groups]
        return list(scheduler.get_last_lr())

    out_lrs = [lrs()]
    out_momentums = [[momentum_of(g) for g in optimizer.param_groups]]
    for k in range(case['steps']):
        optimizer.step()
        if metrics is not None:
            scheduler.step(metrics[k])
        else:
            scheduler.step()
        out_lrs.append(lrs())
        out_momentums.append([momentum_of(g) for g in optimizer.param_groups])
    result = dict(case)
    result['lrs'] = out_lrs
    if track_momentum:
        result['momentums'] = out_momentums
        # beta2 must be left alone
        if case['optimizer'] == 'Adam':
            result['beta2'] = [g['betas'][1] for g in optimizer.param_groups]
    return result


def plateau_metrics(n, maximize=False):
    """Improves, stalls, improves a little (below/above threshold), stalls again..."""
    values = []
    v = 1.0
    for k in range(n):
        phase = (k // 8) % 3
        if phase == 0:
            v *= 0.93
        elif phase == 1:
            v *= 1.0 + (0.002 if k % 2 else -0.00001)
        else:
            v = v if k % 3 else v * 0.995
        values.append(2.0 - v if maximize else v)
    return values


SGD2 = [{'lr': 0.1, 'momentum': 0.9}, {'lr': 0.01, 'momentum': 0.9}]
SGD1 = [{'lr': 0.05, 'momentum': 0.9}]

CASES = [
    {'name': 'StepLR 2 groups', 'scheduler': 'StepLR', 'options': {'stepSize': 7, 'gamma': 0.5},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 40},
    {'name': 'StepLR gamma 0.9', 'scheduler': 'StepLR', 'options': {'stepSize': 3, 'gamma': 0.9},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 60},
    {'name': 'StepLR default gamma', 'scheduler': 'StepLR', 'options': {'stepSize': 10},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 35},
    {'name': 'MultiStepLR 2 groups', 'scheduler': 'MultiStepLR',
     'options': {'milestones': [8, 20, 35], 'gamma': 0.1},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 45},
    {'name': 'MultiStepLR repeated milestone', 'scheduler': 'MultiStepLR',
     'options': {'milestones': [5, 12, 12, 25], 'gamma': 0.7},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 30},
    {'name': 'ExponentialLR 2 groups', 'scheduler': 'ExponentialLR', 'options': {'gamma': 0.95},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 60},
    {'name': 'CosineAnnealingLR past tMax', 'scheduler': 'CosineAnnealingLR',
     'options': {'tMax': 20, 'etaMin': 0.001},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 90},
    {'name': 'CosineAnnealingLR etaMin 0', 'scheduler': 'CosineAnnealingLR',
     'options': {'tMax': 50},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 50},
    {'name': 'LinearLR warmup', 'scheduler': 'LinearLR',
     'options': {'startFactor': 0.1, 'endFactor': 1.0, 'totalIters': 10},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 30},
    {'name': 'LinearLR decay', 'scheduler': 'LinearLR',
     'options': {'startFactor': 1.0, 'endFactor': 0.2, 'totalIters': 20},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 30},
    {'name': 'LinearLR defaults', 'scheduler': 'LinearLR', 'options': {},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 30},
    {'name': 'OneCycleLR SGD momentum', 'scheduler': 'OneCycleLR',
     'options': {'maxLr': 0.1, 'totalSteps': 100},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 100},
    {'name': 'OneCycleLR Adam betas, three phases, linear', 'scheduler': 'OneCycleLR',
     'options': {'maxLr': [0.01, 0.002], 'epochs': 5, 'stepsPerEpoch': 12,
                 'annealStrategy': 'linear', 'threePhase': True},
     'optimizer': 'Adam',
     'groups': [{'lr': 0.001, 'betas': [0.9, 0.999]}, {'lr': 0.001, 'betas': [0.8, 0.99]}],
     'steps': 59},
    {'name': 'OneCycleLR Adam cos, custom momenta', 'scheduler': 'OneCycleLR',
     'options': {'maxLr': 0.003, 'totalSteps': 80, 'pctStart': 0.25,
                 'baseMomentum': 0.8, 'maxMomentum': [0.9], 'divFactor': 10.0,
                 'finalDivFactor': 100.0},
     'optimizer': 'Adam', 'groups': [{'lr': 0.001, 'betas': [0.9, 0.999]}], 'steps': 80},
    {'name': 'OneCycleLR no momentum cycling, 2 groups', 'scheduler': 'OneCycleLR',
     'options': {'maxLr': [0.2, 0.05], 'totalSteps': 45, 'pctStart': 0.4,
                 'cycleMomentum': False, 'threePhase': True},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 44},
    {'name': 'SequentialLR warmup + cosine', 'scheduler': 'SequentialLR',
     'options': {'schedulers': [
         {'scheduler': 'LinearLR', 'options': {'startFactor': 0.1, 'totalIters': 5}},
         {'scheduler': 'CosineAnnealingLR', 'options': {'tMax': 45, 'etaMin': 1e-4}},
     ], 'milestones': [5]},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 60},
    {'name': 'SequentialLR three schedulers', 'scheduler': 'SequentialLR',
     'options': {'schedulers': [
         {'scheduler': 'LinearLR', 'options': {'startFactor': 0.25, 'totalIters': 4}},
         {'scheduler': 'ExponentialLR', 'options': {'gamma': 0.9}},
         {'scheduler': 'MultiStepLR', 'options': {'milestones': [3, 9], 'gamma': 0.5}},
     ], 'milestones': [6, 20]},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 40},
    {'name': 'ChainedScheduler linear + exponential', 'scheduler': 'ChainedScheduler',
     'options': {'schedulers': [
         {'scheduler': 'LinearLR', 'options': {'startFactor': 0.5, 'totalIters': 4}},
         {'scheduler': 'ExponentialLR', 'options': {'gamma': 0.9}},
     ]},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 30},
    {'name': 'ChainedScheduler cosine + step', 'scheduler': 'ChainedScheduler',
     'options': {'schedulers': [
         {'scheduler': 'CosineAnnealingLR', 'options': {'tMax': 15, 'etaMin': 0.01}},
         {'scheduler': 'StepLR', 'options': {'stepSize': 10, 'gamma': 0.5}},
     ]},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 40},
    {'name': 'ReduceLROnPlateau min rel', 'scheduler': 'ReduceLROnPlateau',
     'options': {'mode': 'min', 'factor': 0.5, 'patience': 2},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 72, 'metrics': plateau_metrics(72)},
    {'name': 'ReduceLROnPlateau min abs, cooldown, minLr', 'scheduler': 'ReduceLROnPlateau',
     'options': {'mode': 'min', 'factor': 0.3, 'patience': 1, 'threshold': 0.01,
                 'thresholdMode': 'abs', 'cooldown': 2, 'minLr': 0.005},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 72, 'metrics': plateau_metrics(72)},
    {'name': 'ReduceLROnPlateau max rel, per-group minLr', 'scheduler': 'ReduceLROnPlateau',
     'options': {'mode': 'max', 'factor': 0.2, 'patience': 3, 'threshold': 0.001,
                 'minLr': [0.001, 0.0005]},
     'optimizer': 'SGD', 'groups': SGD2, 'steps': 72,
     'metrics': plateau_metrics(72, maximize=True)},
    {'name': 'ReduceLROnPlateau max abs, defaults otherwise', 'scheduler': 'ReduceLROnPlateau',
     'options': {'mode': 'max', 'thresholdMode': 'abs', 'threshold': 0.0005, 'patience': 4},
     'optimizer': 'SGD', 'groups': SGD1, 'steps': 72,
     'metrics': plateau_metrics(72, maximize=True)},
    {'name': 'ReduceLROnPlateau eps stops tiny reductions', 'scheduler': 'ReduceLROnPlateau',
     'options': {'patience': 0, 'factor': 0.1, 'cooldown': 1},
     'optimizer': 'SGD', 'groups': [{'lr': 1e-6, 'momentum': 0.0}], 'steps': 30,
     'metrics': [1.0] * 30},
]


def main():
    result = {
        'generator': 'bench/torch/gen_scheduler_fixture.py',
        'torch': torch.__version__,
        'python': sys.version.split()[0],
        'cases': [run(c) for c in CASES],
    }
    for case in result['cases']:
        for row in case['lrs']:
            assert all(math.isfinite(x) for x in row), case['name']
    with open(OUT, 'w') as f:
        json.dump(result, f, indent=1, allow_nan=False)
        f.write('\n')
    # `npm run lint` checks test/ with prettier; format the file the way it wants.
    try:
        subprocess.run(['npx', 'prettier', '--write', OUT], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        print('warning: run `npx prettier --write test/fixtures/schedulers.json`')
    print('wrote {} ({} cases)'.format(OUT, len(result['cases'])))


if __name__ == '__main__':
    main()
