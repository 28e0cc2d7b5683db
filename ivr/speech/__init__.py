"""Offline speech intake: one vosk model, pooled recognizers, transcripts off the event loop."""
from ivr.speech.errors import AudioFileError, AudioFormatError, GrammarError, PoolClosedError, SpeechError
from ivr.speech.model import LoadedModel, SpeechUnavailable, load_speech_model
from ivr.speech.pool import Lease, RecognizerPool
from ivr.speech.transcriber import Transcriber, Transcript, TranscriptStatus, Word

__all__ = [
    "AudioFileError", "AudioFormatError", "GrammarError", "Lease", "LoadedModel", "PoolClosedError", "RecognizerPool",
    "SpeechError", "SpeechUnavailable", "Transcriber", "Transcript", "TranscriptStatus", "Word",
    "load_speech_model",
]
