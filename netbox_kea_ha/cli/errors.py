"""The command's expected failures and their exit codes: 1 a job failed, 2 bad usage or input, 3 NetBox unreachable
or the token refused. An expected failure prints its message, never a traceback."""

__all__ = (
    'EXIT_FAILED',
    'EXIT_OK',
    'EXIT_UNREACHABLE',
    'EXIT_USAGE',
    'CLIError',
    'JobFailedError',
    'NetBoxRefused',
    'UsageError',
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


class CLIError(Exception):
    """An expected failure: `message` for the user, `code` the exit status."""

    code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        """The message names the object and the reason."""
        super().__init__(message)
        self.message = message


class JobFailedError(CLIError):
    """A job ended failed or errored (exit 1)."""

    code = EXIT_FAILED


class UsageError(CLIError):
    """Bad usage or input: an unknown object, a bad option, a request NetBox refused as invalid (exit 2)."""

    code = EXIT_USAGE


class NetBoxRefused(CLIError):
    """NetBox cannot be reached, or refused the token (exit 3)."""

    code = EXIT_UNREACHABLE
