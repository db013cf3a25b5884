package io.softdsa.accelconfig;

/**
 * The keys of accel-config's saved configuration (fact sheet section 16), each named once for the reader and the
 * writer. The legacy read-buffer spellings are what accel-config wrote before the kernel renamed tokens to read
 * buffers; {@code pasid_enabled}, {@code pasid} and {@code priv} are softdsa's own.
 */
final class AccelConfigKeys {
    // Device keys.
    static final String DEV = "dev";
    static final String READ_BUFFER_LIMIT = "read_buffer_limit";
    static final String TOKEN_LIMIT = "token_limit";
    static final String EVENT_LOG_SIZE = "event_log_size";
    static final String GROUPS = "groups";
    static final String UNGROUPED_ENGINES = "ungrouped_engines";
    static final String UNGROUPED_WQS = "ungrouped_workqueues";
    /** The key {@code accel-config list -i} uses for WQs outside any group. */
    static final String UNGROUPED_WQS_LISTED = "ungrouped workqueues";
    // Group keys.
    static final String READ_BUFFERS_RESERVED = "read_buffers_reserved";
    static final String TOKENS_RESERVED = "tokens_reserved";
    static final String USE_READ_BUFFER_LIMIT = "use_read_buffer_limit";
    static final String USE_TOKEN_LIMIT = "use_token_limit";
    static final String READ_BUFFERS_ALLOWED = "read_buffers_allowed";
    static final String TOKENS_ALLOWED = "tokens_allowed";
    static final String TRAFFIC_CLASS_A = "traffic_class_a";
    static final String TRAFFIC_CLASS_B = "traffic_class_b";
    static final String DESC_PROGRESS_LIMIT = "desc_progress_limit";
    static final String BATCH_PROGRESS_LIMIT = "batch_progress_limit";
    static final String GROUPED_WQS = "grouped_workqueues";
    static final String GROUPED_ENGINES = "grouped_engines";
    // WQ and engine keys.
    static final String MODE = "mode";
    static final String SIZE = "size";
    static final String GROUP_ID = "group_id";
    static final String PRIORITY = "priority";
    static final String BLOCK_ON_FAULT = "block_on_fault";
    static final String MAX_BATCH_SIZE = "max_batch_size";
    static final String MAX_TRANSFER_SIZE = "max_transfer_size";
    static final String TYPE = "type";
    static final String NAME = "name";
    static final String DRIVER_NAME = "driver_name";
    static final String THRESHOLD = "threshold";
    static final String ATS_DISABLE = "ats_disable";
    static final String PRS_DISABLE = "prs_disable";
    static final String OP_CONFIG = "op_config";
    static final String PASID_ENABLED = "pasid_enabled";
    static final String PASID = "pasid";
    static final String PRIV = "priv";

    private AccelConfigKeys() {
    }
}
