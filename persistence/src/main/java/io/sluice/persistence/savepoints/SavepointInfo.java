package io.sluice.persistence.savepoints;

import java.util.Map;

/**
 * A savepoint's description: what it was taken of and what it holds. Its operators' state is
 * stored apart (the state store, owner {@code savepoint/<id>/<operator>}), under {@code headers}.
 *
 * @param id its id (unique, chosen by the job coordinator)
 * @param jobId the job it was taken of
 * @param pipeline that job's pipeline
 * @param jar the SHA-256 of the jar the pipeline came from, or null for a pipeline of the nodes' own
 * @param parameters that job's parameters
 * @param createdMillis when it completed
 * @param bytes the bytes of state it holds
 * @param headers per operator name, its header ({@code SavepointFormat.header})
 */
public record SavepointInfo(String id, String jobId, String pipeline, String jar, Map<String, String> parameters,
    long createdMillis, long bytes, Map<String, byte[]> headers) {
  public SavepointInfo {
    parameters = Map.copyOf(parameters);
    headers = Map.copyOf(headers);
  }

  /** The owner its operator's parts are stored under in the state store. */
  public static String owner(String id, String operator) {
    return "savepoint/" + id + "/" + operator;
  }
}
