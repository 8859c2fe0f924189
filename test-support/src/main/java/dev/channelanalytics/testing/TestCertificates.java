package dev.channelanalytics.testing;

import dev.channelanalytics.common.security.SecretFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made for one test, and a server certificate it signed for {@code
 * localhost} and {@code 127.0.0.1}, written as the servers and clients under test read them: the CA
 * as PEM ({@link #caPem}), the server's key and chain as a PKCS12 keystore ({@link #serverP12}) and
 * as PEM files ({@link #serverCertPem}, {@link #serverKeyPem}). Private keys are mode 0600.
 *
 * @param caPem the CA certificate (what clients trust)
 * @param serverP12 the server's key and certificate chain, PKCS12
 * @param serverP12Password the keystore's password
 * @param serverCertPem the server's certificate chain, PEM
 * @param serverKeyPem the server's private key, PKCS8 PEM, unencrypted
 */
public record TestCertificates(
    Path caPem, Path serverP12, String serverP12Password, Path serverCertPem, Path serverKeyPem) {

  /** Makes a CA and a localhost server certificate under {@code dir}, valid for a day. */
  public static TestCertificates create(Path dir) {
    try {
      Files.createDirectories(dir);
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      KeyPair ca = rsa.generateKeyPair();
      KeyPair server = rsa.generateKeyPair();
      X500Name caName = new X500Name("CN=channel-analytics test CA");
      X509Certificate caCert = sign(caName, caName, ca.getPublic(), ca, true, null);
      X509Certificate serverCert =
          sign(
              caName,
              new X500Name("CN=localhost"),
              server.getPublic(),
              ca,
              false,
              new GeneralNames(
                  new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")
                  }));

      Path caPem = dir.resolve("ca.pem");
      Files.writeString(caPem, pem(caCert));
      Path certPem = dir.resolve("server.crt.pem");
      Files.writeString(certPem, pem(serverCert) + pem(caCert));
      Path keyPem = dir.resolve("server.key.pem");
      SecretFiles.create(keyPem, pem(server.getPrivate()));
      String password = "p12-" + Long.toHexString(new SecureRandom().nextLong());
      KeyStore p12 = KeyStore.getInstance("PKCS12");
      p12.load(null, null);
      p12.setKeyEntry(
          "server",
          server.getPrivate(),
          password.toCharArray(),
          new Certificate[] {serverCert, caCert});
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      p12.store(bytes, password.toCharArray());
      Path serverP12 = dir.resolve("server.p12");
      SecretFiles.write(serverP12, bytes.toByteArray());
      return new TestCertificates(caPem, serverP12, password, certPem, keyPem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot make test certificates", e);
    }
  }

  /**
   * A certificate of {@code subject}'s key signed by {@code issuer}, valid from an hour ago for a
   * day: a CA's when {@code ca}, else a server's with the alternative names {@code names}.
   */
  private static X509Certificate sign(
      X500Name issuerName,
      X500Name subject,
      java.security.PublicKey key,
      KeyPair issuer,
      boolean ca,
      GeneralNames names)
      throws Exception {
    Instant now = Instant.now();
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            issuerName,
            BigInteger.valueOf(new SecureRandom().nextInt(Integer.MAX_VALUE)),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(Duration.ofDays(1))),
            subject,
            key);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (ca) {
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    }
    if (names != null) {
      builder.addExtension(Extension.subjectAlternativeName, false, names);
    }
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuer.getPrivate())));
  }

  private static String pem(X509Certificate certificate) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(certificate);
    }
    return out.toString();
  }

  /** A private key as unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}). */
  private static String pem(java.security.PrivateKey key) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
    }
    return out.toString();
  }
}
