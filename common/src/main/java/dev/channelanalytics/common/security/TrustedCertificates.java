package dev.channelanalytics.common.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client context that trusts exactly some certificates, for the system's clients of servers
 * whose certificate a private CA signed (Elasticsearch with {@code elasticsearch.ca-file}, the
 * services with their own keystore), without changing the JVM's trust store.
 */
public final class TrustedCertificates {
  private TrustedCertificates() {}

  /** Trusting every certificate in a PEM file. */
  public static SSLContext ofPem(Path pem) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(pem)) {
      Collection<? extends Certificate> certificates =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certificates.isEmpty()) {
        throw new GeneralSecurityException("no certificate in " + pem);
      }
      return of(certificates);
    }
  }

  /** Trusting every certificate (and certificate chain) in a PKCS12 keystore. */
  public static SSLContext ofKeystore(Path p12, String password)
      throws IOException, GeneralSecurityException {
    KeyStore keystore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      keystore.load(in, password.toCharArray());
    }
    List<Certificate> certificates = new ArrayList<>();
    for (String alias : Collections.list(keystore.aliases())) {
      Certificate[] chain = keystore.getCertificateChain(alias);
      if (chain != null) {
        certificates.addAll(List.of(chain));
      } else if (keystore.getCertificate(alias) != null) {
        certificates.add(keystore.getCertificate(alias));
      }
    }
    return of(certificates);
  }

  private static SSLContext of(Collection<? extends Certificate> certificates)
      throws IOException, GeneralSecurityException {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    int n = 0;
    for (Certificate c : certificates) {
      trusted.setCertificateEntry("trusted-" + n++, c);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }
}
