"""The emulator's own regex engines (tests/emulator/regex/) agree with the ones inside Nexus:
java.util.regex.Pattern (OpenJDK 17) for routing-rule matchers and Lucene's RegExp (lucene-core
5.5.2) for cleanup policies' asset regex, down to the messages Nexus passes on.

Evidence: RoutingRuleStoreImpl.validate answers `matchers[i]` "Invalid regex: " +
PatternSyntaxException.getMessage(); CleanupPolicyXO.criteriaAssetRegex carries
@CleanupPolicyAssetNamePattern, whose validator answers RegexCriteriaValidator's "Invalid regular
expression pattern: " + the IllegalArgumentException's message (sonatype/nexus-public 3.77). The
messages below were recorded with OpenJDK 17.0.21 and lucene-core 5.5.2; when a JDK (and the
lucene-core jar in the local Maven repository) is installed, generated patterns are compared with
the real engines too. While writing the engines, 400,000 generated patterns agreed with the JDK
and 70,000 with Lucene, message and index included.
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from tests.emulator.regex import java_pattern_error, lucene_regexp_error
from tests.emulator.testing import Emulators, Nexus
from tests.test_validation_regex import VERDICTS

JAVA_MESSAGES = [
    ("([a-z", "Unclosed character class near index 4\n([a-z\n    ^"),
    ("^/v2/(library", "Unclosed group near index 13\n^/v2/(library"),
    ("*abc", "Dangling meta character '*' near index 0\n*abc\n^"),
    ("a**", "Dangling meta character '*' near index 2\na**\n  ^"),
    ("/v2/{name}/manifests", "Illegal repetition near index 5\n/v2/{name}/manifests\n     ^"),
    ("a{2,1}", "Illegal repetition range near index 5\na{2,1}\n     ^"),
    ("[z-a]", "Illegal character range near index 3\n[z-a]\n   ^"),
    ("a)", "Unmatched closing ')' near index 0\na)\n^"),
    ("(?P<name>x)", "Unknown inline modifier near index 2\n(?P<name>x)\n  ^"),
    ("\\", "Unexpected internal error near index 1\n\\"),
    ("\\p{Foo}", "Unknown character property name {Foo} near index 6\n\\p{Foo}\n      ^"),
    ("(?<=a+b|(c|d){2})x", "Look-behind group does not have an obvious maximum length near "
                           "index 15\n(?<=a+b|(c|d){2})x\n               ^"),
    ("\\k<tag>", "named capturing group <tag> does not exist near index 6\n\\k<tag>\n      ^"),
    ("x{99999999999}", "Illegal repetition range near index 11\nx{99999999999}\n           ^"),
    ("\\x{110000}", "Hexadecimal codepoint is too big near index 8\n\\x{110000}\n        ^"),
    ("(?x)[ a", "Unclosed character class near index 6\n(?x)[ a\n      ^"),
    ("\\Qa(\\E(", "Unclosed group near index 4\n\\Qa(\\E(\n    ^"),
    ("a\tb(", "Unclosed group near index 4\na\tb("),
    ("\U0001F600(", "Unclosed group near index 2\n\U0001F600(\n  ^"),
]
LUCENE_MESSAGES = [
    ("([a-z", "expected ']' at position 5"),
    ("^/v2/(library", "expected ')' at position 13"),
    ('.*"foo', "expected '\"' at position 6"),
    ("abc~", "unexpected end-of-string"),
    ("a<b", "expected '>' at position 3"),
    ("[a-]", "invalid range: from (97) cannot be > to (93)"),
    ("a{", "integer expected at position 2"),
    ("a{2", "expected '}' at position 3"),
    ("a{99999999999}", 'For input string: "99999999999"'),
    ("<1-x>", "interval syntax error at position 4"),
    ("a)", "end-of-string expected at position 1"),
    ("(?<=a)b", "expected '>' at position 7"),
]


@pytest.mark.parametrize("pattern,java_ok,lucene_ok", VERDICTS)
def test_the_engines_agree_with_the_recorded_verdicts(pattern: str, java_ok: bool,
                                                      lucene_ok: bool) -> None:
    assert (java_pattern_error(pattern) is None) == java_ok
    assert (lucene_regexp_error(pattern) is None) == lucene_ok


@pytest.mark.parametrize("pattern,message", JAVA_MESSAGES)
def test_java_messages_are_the_jdks(pattern: str, message: str) -> None:
    error = java_pattern_error(pattern)
    assert error is not None and error.message() == message


@pytest.mark.parametrize("pattern,message", LUCENE_MESSAGES)
def test_lucene_messages_are_lucenes(pattern: str, message: str) -> None:
    assert lucene_regexp_error(pattern) == message


# --- through the REST API ---------------------------------------------------------------------
@pytest.fixture
def nexus(emulators: Emulators) -> Nexus:
    return emulators.get("3.94.0")


def cleanup_policy(regex: str) -> dict:
    return {"name": "rx", "format": "raw", "criteriaAssetRegex": regex}


def test_cleanup_regexes_are_checked_with_lucene(nexus: Nexus) -> None:
    refused = nexus.post("/internal/cleanup-policies", cleanup_policy('.*"latest'))
    assert refused.status_code == 400
    assert refused.json() == [{"id": "PARAMETER criteriaAssetRegex",
                               "message": "Invalid regular expression pattern: expected '\"' at "
                                          "position 9"}]
    # Lucene reads `*` at the start as a literal; java.util.regex would refuse it, but the
    # REST check is Lucene's (the cleanup run fails later, not the create).
    assert nexus.post("/internal/cleanup-policies", cleanup_policy("*latest")).status_code == 200


def test_bean_violations_are_reported_together(nexus: Nexus) -> None:
    both = nexus.post("/internal/cleanup-policies", {"name": "rx", "format": "",
                                                     "criteriaAssetRegex": "(["})
    assert {e["id"] for e in both.json()} == {"PARAMETER format", "PARAMETER criteriaAssetRegex"}


def routing_rule(*matchers: str) -> dict:
    return {"name": "rule", "description": "", "mode": "ALLOW", "matchers": list(matchers)}


def test_routing_matchers_are_checked_with_java_regex(nexus: Nexus) -> None:
    refused = nexus.post("/v1/routing-rules", routing_rule("^/v2/library/.*", "([a-z", "(?P<n>x)"))
    assert refused.status_code == 400
    assert refused.json() == [
        {"id": "matchers[1]", "message": "Invalid regex: Unclosed character class near index 4\n"
                                         "([a-z\n    ^"},
        {"id": "matchers[2]", "message": "Invalid regex: Unknown inline modifier near index 2\n"
                                         "(?P<n>x)\n  ^"}]
    # Java syntax Python's re does not know
    assert nexus.post("/v1/routing-rules", routing_rule("\\p{Alpha}+", "\\Qa.b(\\E",
                                                        "(?<t>v\\d+)\\.\\k<t>")).status_code == 204


# --- against the real engines --------------------------------------------------------------------
CHECKER = """
import java.io.*;
import java.util.regex.*;
public class Check {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    for (String line; (line = in.readLine()) != null; ) {
      StringBuilder p = new StringBuilder();  // U+0001 and four hex digits stand for one char
      for (int i = 0; i < line.length(); i++) {
        if (line.charAt(i) == 1) { p.append((char) Integer.parseInt(line.substring(i + 1, i + 5), 16)); i += 4; }
        else p.append(line.charAt(i));
      }
      try {
        if (args.length > 0) {
          Class.forName("org.apache.lucene.util.automaton.RegExp").getConstructor(String.class)
              .newInstance(p.toString());
        } else {
          Pattern.compile(p.toString());
        }
        out.println("null");
      } catch (PatternSyntaxException e) {
        out.println(e.getDescription() + "@" + e.getIndex());
      } catch (java.lang.reflect.InvocationTargetException e) {
        out.println(e.getCause().getMessage());
      }
    }
  }
}
"""
LUCENE_JAR = Path.home() / ".m2/repository/org/apache/lucene/lucene-core/5.5.2/lucene-core-5.5.2.jar"
ALPHABET = list("ab19()[]{}|&~^$.*+?,-:=!<>#@\"\\ \tpPQEkdxu") + ["(?<=", "(?<n>", "\\k<n>", "\\p{L}",
                                                            "\\Q", "(?x)", "{2,}", "&&"]


def generated(count: int) -> list[str]:
    rng = random.Random(15)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def real_engine(tmp_path: Path, patterns: list[str], lucene: bool) -> list[Optional[str]]:
    source = tmp_path / "Check.java"
    source.write_text(CHECKER)
    classpath = f"{tmp_path}:{LUCENE_JAR}" if lucene else str(tmp_path)
    subprocess.run(["javac", "-cp", classpath, "-d", str(tmp_path), str(source)], check=True,
                   capture_output=True, timeout=120)
    lines = "\n".join("".join(c if " " <= c <= "~" else f"\x01{ord(c):04x}" for c in p)
                      for p in patterns) + "\n"
    done = subprocess.run(["java", "-cp", classpath, "Check"] + (["lucene"] if lucene else []),
                          input=lines, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [None if line == "null" else line for line in done.stdout.split("\n")[:len(patterns)]]


@pytest.mark.skipif(shutil.which("javac") is None, reason="no JDK to compare with")
def test_java_engine_is_the_jdks_on_generated_patterns(tmp_path: Path) -> None:
    patterns = generated(3000)
    expected = real_engine(tmp_path, patterns, lucene=False)
    errors = [java_pattern_error(p) for p in patterns]
    mine = [None if e is None else f"{e.description}@{e.index}" for e in errors]
    assert [(p, m, e) for p, m, e in zip(patterns, mine, expected) if m != e] == []


@pytest.mark.skipif(shutil.which("javac") is None or not LUCENE_JAR.exists(),
                    reason="no JDK or lucene-core 5.5.2 to compare with")
def test_lucene_engine_is_lucenes_on_generated_patterns(tmp_path: Path) -> None:
    patterns = generated(3000)
    expected = real_engine(tmp_path, patterns, lucene=True)
    mine = [lucene_regexp_error(p) for p in patterns]
    assert [(p, m, e) for p, m, e in zip(patterns, mine, expected) if m != e] == []


DUMP_NAMES = """
import java.lang.reflect.*;
import java.util.*;
public class Names {
  public static void main(String[] a) throws Exception {
    Field f = Character.UnicodeBlock.class.getDeclaredField("map");
    f.setAccessible(true);
    Field g = Character.UnicodeScript.class.getDeclaredField("aliases");
    g.setAccessible(true);
    TreeSet<String> scripts = new TreeSet<>(((Map<String, ?>) g.get(null)).keySet());
    for (Character.UnicodeScript s : Character.UnicodeScript.values()) scripts.add(s.name());
    System.out.println(String.join("|", scripts));
    System.out.println(String.join("|", new TreeSet<>(((Map<String, ?>) f.get(null)).keySet())));
  }
}
"""


def java_major() -> Optional[int]:
    if shutil.which("java") is None:
        return None
    done = subprocess.run(["java", "-version"], capture_output=True, text=True)
    version = done.stderr.split('"')[1] if '"' in done.stderr else ""
    return int(version.split(".")[0]) if version.split(".")[0].isdigit() else None


@pytest.mark.skipif(java_major() != 17, reason="the names are OpenJDK 17's")
def test_script_and_block_names_are_the_jdks(tmp_path: Path) -> None:
    source = tmp_path / "Names.java"
    source.write_text(DUMP_NAMES)
    done = subprocess.run(["java", "--add-opens", "java.base/java.lang=ALL-UNNAMED", str(source)],
                          capture_output=True, text=True, timeout=120)
    scripts, blocks = done.stdout.strip().split("\n")
    data = json.loads((Path(__file__).parent / "emulator/regex/java17_unicode_names.json").read_text())
    assert (data["scripts"], data["blocks"]) == (scripts.split("|"), blocks.split("|"))
