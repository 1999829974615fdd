"""Regular expressions as the engines inside Nexus read them, for the handlers that check them:
Lucene's RegExp (cleanup policies' criteriaAssetRegex, RegexCriteriaValidator) and
java.util.regex.Pattern (routing-rule matchers, RoutingRuleStoreImpl.validate). Each check
answers the engine's own error message, or None when the engine accepts the pattern.

They stand for the real server, so they share nothing with the program's own regex checks
(components/regex_syntax.py): both sides are held against the recorded verdicts of the real JDK
and lucene-core (tests/test_validation_regex.py, tests/test_emulator_regex.py).
"""
from __future__ import annotations

from .java_pattern import java_pattern_error
from .java_reader import JavaInternalError, JavaPatternError
from .lucene import lucene_regexp_error

__all__ = ["JavaInternalError", "JavaPatternError", "java_pattern_error", "lucene_regexp_error"]
