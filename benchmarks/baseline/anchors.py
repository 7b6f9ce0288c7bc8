"""Published MinAtar results to read our from-scratch student against.

Each anchor is a single-game agent with its own protocol; none is our
protocol (one multi-task student, 600k env steps per game, MinAtar's full 6
actions, sticky actions 0.1, difficulty ramping, a final evaluation of the
sampled policy over 30 episodes per game). `exact` says whether the numbers
come from a table or log (True) or were read off a figure (False).
"""

# Env steps each shipped teacher trained alone on its game
# (teachers/minatar5/<game>/teacher.json).
TEACHER_BUDGETS = {'breakout': 600_000, 'asterix': 1_500_000,
                   'freeway': 1_500_000, 'seaquest': 1_500_000,
                   'space_invaders': 600_000}

ANCHORS = [
    {
        'name': 'gymnax-blines PPO, 10M steps',
        'source': 'RobertTLange/gymnax-blines @ 3f029d6, agents/<Game>-MinAtar/'
                  'ppo.pkl (log_return at 9,919,936 steps), configs ppo.yaml',
        'protocol': 'single game, minimal action set, no sticky actions, '
                    '1000-step cap (freeway 2500), sampled policy over 164 '
                    'episodes, one seed',
        'env_steps': 10_000_000, 'exact': True,
        'returns': {'asterix': 14.95, 'breakout': 22.88, 'freeway': 58.80,
                    'seaquest': None, 'space_invaders': 131.64},
    },
    {
        'name': 'gymnax-blines PPO, 640k steps',
        'source': 'the same logs at 639,936 steps',
        'protocol': 'as above',
        'env_steps': 639_936, 'exact': True,
        'returns': {'asterix': 1.62, 'breakout': 15.45, 'freeway': 28.16,
                    'seaquest': None, 'space_invaders': 30.37},
    },
    {
        'name': 'MinAtar paper DQN, 5M frames',
        'source': 'Young & Tian 2019; kenjyoung/MinAtar README learning '
                  'curves (img/learning_curves.gif), read off the figure',
        'protocol': 'single game, full 6 actions, sticky actions 0.1, '
                    'ramping, 100-episode moving average of training '
                    'returns (epsilon 0.1), mean of 30 runs; seaquest from '
                    'MinAtar <= 1.0.10 (oxygen bug)',
        'env_steps': 5_000_000, 'exact': False,
        'returns': {'asterix': 17.0, 'breakout': 10.0, 'freeway': 50.0,
                    'seaquest': 20.0, 'space_invaders': 44.0},
    },
    {
        'name': 'MinAtar paper AC(0.8), 5M frames',
        'source': 'as above',
        'protocol': 'as above (online actor-critic with traces, no replay)',
        'env_steps': 5_000_000, 'exact': False,
        'returns': {'asterix': 19.0, 'breakout': 17.6, 'freeway': 47.5,
                    'seaquest': 15.4, 'space_invaders': 185.0},
    },
    {
        'name': 'MinAtar paper DQN at 0.6M frames',
        'source': 'as above, read at 0.6M frames',
        'protocol': 'as above',
        'env_steps': 600_000, 'exact': False,
        'returns': {'asterix': 1.2, 'breakout': 8.6, 'freeway': 40.0,
                    'seaquest': 0.9, 'space_invaders': 27.5},
    },
]
