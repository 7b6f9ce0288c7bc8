"""DMLab-30's levels and reference scores.

scalable_agent (the IMPALA release, Espeholt et al., 2018), `dmlab30.py`:
LEVEL_MAPPING (the 30 training levels in order, and the two trained on a
`_train` variant and scored on its `_test` variant), HUMAN_SCORES and
RANDOM_SCORES, https://github.com/deepmind/scalable_agent/blob/master/dmlab30.py
"""

from typing import Sequence

# The 30 training levels, in the published order (scalable_agent dmlab30.py,
# LEVEL_MAPPING keys).
LEVELS = (
    'rooms_collect_good_objects_train',
    'rooms_exploit_deferred_effects_train',
    'rooms_select_nonmatching_object',
    'rooms_watermaze',
    'rooms_keys_doors_puzzle',
    'language_select_described_object',
    'language_select_located_object',
    'language_execute_random_task',
    'language_answer_quantitative_question',
    'lasertag_one_opponent_small',
    'lasertag_three_opponents_small',
    'lasertag_one_opponent_large',
    'lasertag_three_opponents_large',
    'natlab_fixed_large_map',
    'natlab_varying_map_regrowth',
    'natlab_varying_map_randomized',
    'skymaze_irreversible_path_hard',
    'skymaze_irreversible_path_varied',
    'psychlab_arbitrary_visuomotor_mapping',
    'psychlab_continuous_recognition',
    'psychlab_sequential_comparison',
    'psychlab_visual_search',
    'explore_object_locations_small',
    'explore_object_locations_large',
    'explore_obstructed_goals_small',
    'explore_obstructed_goals_large',
    'explore_goal_locations_small',
    'explore_goal_locations_large',
    'explore_object_rewards_few',
    'explore_object_rewards_many',
)

# Two levels are trained on their `_train` variant and scored on their `_test`
# variant (held-out layouts); every other level is scored on itself
# (scalable_agent dmlab30.py, LEVEL_MAPPING).
TRAIN_TO_TEST = {
    'rooms_collect_good_objects_train': 'rooms_collect_good_objects_test',
    'rooms_exploit_deferred_effects_train': 'rooms_exploit_deferred_effects_test',
}

# The 30 levels used for scoring, in the order of LEVELS.
TEST_LEVELS = tuple(TRAIN_TO_TEST.get(level, level) for level in LEVELS)

# Per-level human and random episode returns, keyed by the scoring (test) level
# name (scalable_agent dmlab30.py, HUMAN_SCORES and RANDOM_SCORES).
HUMAN_SCORES = {
    'rooms_collect_good_objects_test': 10.0,
    'rooms_exploit_deferred_effects_test': 85.65,
    'rooms_select_nonmatching_object': 65.9,
    'rooms_watermaze': 54.0,
    'rooms_keys_doors_puzzle': 53.8,
    'language_select_described_object': 389.5,
    'language_select_located_object': 280.7,
    'language_execute_random_task': 254.05,
    'language_answer_quantitative_question': 184.5,
    'lasertag_one_opponent_small': 12.65,
    'lasertag_three_opponents_small': 18.55,
    'lasertag_one_opponent_large': 18.6,
    'lasertag_three_opponents_large': 31.5,
    'natlab_fixed_large_map': 36.9,
    'natlab_varying_map_regrowth': 24.45,
    'natlab_varying_map_randomized': 42.35,
    'skymaze_irreversible_path_hard': 100.0,
    'skymaze_irreversible_path_varied': 100.0,
    'psychlab_arbitrary_visuomotor_mapping': 58.75,
    'psychlab_continuous_recognition': 58.3,
    'psychlab_sequential_comparison': 39.5,
    'psychlab_visual_search': 78.5,
    'explore_object_locations_small': 74.45,
    'explore_object_locations_large': 65.65,
    'explore_obstructed_goals_small': 206.0,
    'explore_obstructed_goals_large': 119.5,
    'explore_goal_locations_small': 267.5,
    'explore_goal_locations_large': 194.5,
    'explore_object_rewards_few': 77.7,
    'explore_object_rewards_many': 106.7,
}

RANDOM_SCORES = {
    'rooms_collect_good_objects_test': 0.073,
    'rooms_exploit_deferred_effects_test': 8.501,
    'rooms_select_nonmatching_object': 0.312,
    'rooms_watermaze': 4.065,
    'rooms_keys_doors_puzzle': 4.135,
    'language_select_described_object': -0.07,
    'language_select_located_object': 1.929,
    'language_execute_random_task': -5.913,
    'language_answer_quantitative_question': -0.33,
    'lasertag_one_opponent_small': -0.224,
    'lasertag_three_opponents_small': -0.214,
    'lasertag_one_opponent_large': -0.083,
    'lasertag_three_opponents_large': -0.102,
    'natlab_fixed_large_map': 2.173,
    'natlab_varying_map_regrowth': 2.989,
    'natlab_varying_map_randomized': 7.346,
    'skymaze_irreversible_path_hard': 0.1,
    'skymaze_irreversible_path_varied': 14.4,
    'psychlab_arbitrary_visuomotor_mapping': 0.163,
    'psychlab_continuous_recognition': 0.224,
    'psychlab_sequential_comparison': 0.129,
    'psychlab_visual_search': 0.085,
    'explore_object_locations_small': 3.575,
    'explore_object_locations_large': 4.673,
    'explore_obstructed_goals_small': 6.76,
    'explore_obstructed_goals_large': 2.61,
    'explore_goal_locations_small': 7.66,
    'explore_goal_locations_large': 3.14,
    'explore_object_rewards_few': 2.073,
    'explore_object_rewards_many': 2.438,
}


def check_level(level: str) -> None:
  if level not in LEVELS and level not in TEST_LEVELS:
    raise ValueError(
        f'Unknown DMLab-30 level {level!r}. The suite has: {", ".join(LEVELS)} '
        f'(and the test variants {", ".join(TRAIN_TO_TEST.values())}).')


def scoring_level(level: str) -> str:
  """The level a level's returns are scored on (its `_test` variant if any).

  It is also the level test mode plays (make_test_environment).
  """
  check_level(level)
  return TRAIN_TO_TEST.get(level, level)


def actor_levels(num_actors: int,
                 levels: Sequence[str] = LEVELS) -> Sequence[str]:
  """The level of each actor: round robin over the levels.

  As scalable_agent's --level_name=dmlab30 (experiment.py): levels are
  assigned to actors round robin, so 150 actors give 5 per level.
  """
  return [levels[i % len(levels)] for i in range(num_actors)]
