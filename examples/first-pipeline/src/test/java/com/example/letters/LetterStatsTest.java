package com.example.letters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.testing.PipelineTestDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline, run by Sluice's test driver in this JVM (no cluster), against its own right answer. */
class LetterStatsTest {
  @TempDir
  Path dir;

  @Test
  void countsWordsLettersAndTheLongestWordPerFirstLetter() throws Exception {
    Path input = Files.writeString(dir.resolve("in.txt"), "Apples and avocados.\nBananas, apples; BLUEBERRIES!\n");
    CollectingSink<KV<String, LetterStats.Stats>> out = Sinks.collecting("out");
    try (PipelineTestDriver driver = PipelineTestDriver.of(LetterStats.pipeline(input,
        JobConfig.defaults().withParallelism(2), out))) {
      driver.run();
      List<String> lines = driver.results(out).stream().map(kv -> kv.value().line(kv.key())).toList();
      assertTrue(lines.contains("a\t4\t23\tavocados"), lines.toString());
      assertTrue(lines.contains("b\t2\t18\tblueberries"), lines.toString());
      Verdict v = LetterStats.verify(LetterStats.expected(input), lines);
      assertTrue(v.exact(), v.summary() + " " + v.problems());
    }
  }

  @Test
  void aCrashedInstanceRecoversItsStatisticsExactly() throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 2_000; i++) {
      text.append("word").append(i % 37).append(" zebra apple ").append(i % 5 == 0 ? "Quixotic\n" : "\n");
    }
    Path input = Files.writeString(dir.resolve("big.txt"), text.toString());
    CollectingSink<KV<String, LetterStats.Stats>> out = Sinks.collecting("out");
    try (PipelineTestDriver driver = PipelineTestDriver.of(LetterStats.pipeline(input,
        JobConfig.defaults().withParallelism(2), out))) {
      driver.runSteps(50);
      driver.crash("stats", 0);
      driver.run();
      List<String> lines = driver.results(out).stream().map(kv -> kv.value().line(kv.key())).toList();
      Verdict v = LetterStats.verify(LetterStats.expected(input), lines);
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(1, driver.recoveries());
    }
  }

  @Test
  void theCheckFindsALostAndADoubledUpdate() throws Exception {
    Path input = Files.writeString(dir.resolve("in.txt"), "ant ape ant\n");
    List<String> doubled = List.of("a\t1\t3\tant", "a\t1\t3\tant", "a\t3\t9\tant");
    Verdict v = LetterStats.verify(LetterStats.expected(input), doubled);
    assertEquals(1, v.lost());
    assertEquals(1, v.duplicated());
  }
}
