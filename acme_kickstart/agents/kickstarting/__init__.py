"""Kickstarted IMPALA (Schmitt et al., 2018)."""

from acme_kickstart.agents.kickstarting.acting import BatchedActor
from acme_kickstart.agents.kickstarting.agent import KickstartingAgent
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.agents.kickstarting.learning import KickstartingLearner
from acme_kickstart.agents.kickstarting.learning import NonFiniteLossError
from acme_kickstart.agents.kickstarting.losses import distillation_kl
from acme_kickstart.agents.kickstarting.losses import distillation_loss
from acme_kickstart.agents.kickstarting.losses import kickstarting_loss
