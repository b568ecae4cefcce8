/** JMH suites guarding qwen4j's hot paths. Run from the class path (see README), as JMH expects. */
module org.qwen4j.jmh {
    requires org.qwen4j.api;
    requires org.qwen4j.core;
    requires jdk.incubator.vector;
    requires jmh.core;

    exports org.qwen4j.jmh;
}
