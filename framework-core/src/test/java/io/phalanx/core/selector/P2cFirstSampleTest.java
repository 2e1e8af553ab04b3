package io.phalanx.core.selector;

import static io.phalanx.core.selector.Nodes.node;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phalanx.core.error.ServiceException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Kratos' ewma node (selector/node/ewma/node.go, Pick's done func): "if oldLag == 0 { w = 0.0 }"
 * happens BEFORE both EWMAs are updated, so the first completed call sets lag AND success
 * outright. Phalanx only special-cases lag; success is blended with the initial 1000.
 */
class P2cFirstSampleTest {

  @Test
  void firstCompletedCallSetsSuccessOutrightAsKratos() {
    Nodes.ManualTicker ticker = new Nodes.ManualTicker();
    Selector s = Selector.builder().balancer(Balancer.p2c()).ticker(ticker)
        .outlierEjection(OutlierEjection.disabled()).build();
    s.update(List.of(node("a")));
    ticker.advanceMillis(1);
    Selection sel = s.select(null);
    ticker.advanceMillis(1);
    sel.done(new ServiceException(503, "UNAVAILABLE", "connection refused"));
    NodeStats a = s.stats().get(0);
    assertEquals(1e6, a.latencyNanos(), 1); // lag taken outright, as Kratos
    // Kratos: w = 0 on the first sample -> success = 0; Phalanx gives ~996.7
    assertEquals(0, a.successRate(), 1e-9);
  }

  @Test
  void aFastFailingFreshNodeMustNotOutweighAHealthyOne() {
    Nodes.ManualTicker ticker = new Nodes.ManualTicker();
    Selector s = Selector.builder().balancer(Balancer.p2c()).ticker(ticker)
        .outlierEjection(OutlierEjection.disabled()).build();
    s.update(List.of(node("good"), node("bad")));
    NodeStats good = s.stats().get(0);
    NodeStats bad = s.stats().get(1);
    // one successful 20 ms call on good, one connection-refused 1 ms call on bad
    Selection g = s.select(null, n -> n.endpoint().getHost().equals("good"));
    Selection b = s.select(null, n -> n.endpoint().getHost().equals("bad"));
    ticker.advanceMillis(1);
    b.done(new java.net.ConnectException("refused"));
    ticker.advanceMillis(19);
    g.done(null);
    long now = 1_000_000_000L + 20_000_000L;
    // with Kratos' rule bad has success 0 and weight 0; Phalanx makes it the preferred node
    assertEquals(true, good.weight(now) > bad.weight(now),
        "good=" + good.weight(now) + " bad=" + bad.weight(now) + " badSuccess="
            + bad.successRate());
  }
}
