"""IVR prompt catalogue (Chinese first) and offline placeholder audio."""
from ivr.prompts.catalogue import LANGUAGES, REQUIRED_PROMPTS, Prompt, PromptCatalogue, load_catalogue
from ivr.prompts.errors import (
    CatalogueError,
    MissingValueError,
    PromptError,
    SynthesisError,
    ToolMissingError,
    UnknownPromptError,
)

__all__ = [
    "LANGUAGES", "REQUIRED_PROMPTS", "CatalogueError", "MissingValueError", "Prompt", "PromptCatalogue",
    "PromptError", "SynthesisError", "ToolMissingError", "UnknownPromptError", "load_catalogue",
]
