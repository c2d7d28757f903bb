"""dagent: an agentic coding tool driven by a text-diffusion model."""

__version__ = "0.1.0"
