package io.sluice.core.dsl;

/**
 * A record that a user function kept failing on, after the restart strategy gave up, with the
 * reason. Written to the job's dead-letter sink (see {@link JobConfig#withDeadLetterSink}).
 *
 * @param job the job id
 * @param operator the stage whose function failed
 * @param instance the operator instance index
 * @param record the record's {@code toString()}, cut to 2,000 characters
 * @param error the exception's class and message
 * @param attempts how many times the record was tried
 */
public record DeadLetter(String job, String operator, int instance, String record, String error, int attempts) {}
