// Apache PDFBox 2 + BouncyCastle signing the same files with the same key as the Python benchmark:
// PAdES (ETSI.CAdES.detached) incremental update, invisible signature, EC P-256 key from a PKCS#12.
// Usage: java PdfBoxSign KEY.p12 PASSWORD ITERATIONS FILE...  -> "FILE median_ms" per file
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;

import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.SignatureInterface;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.SignatureOptions;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

public class PdfBoxSign implements SignatureInterface {
    private final PrivateKey key;
    private final Certificate[] chain;

    PdfBoxSign(PrivateKey key, Certificate[] chain) {
        this.key = key;
        this.chain = chain;
    }

    @Override
    public byte[] sign(InputStream content) throws java.io.IOException {
        try {
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                new JcaDigestCalculatorProviderBuilder().build()).build(signer, (X509Certificate) chain[0]));
            gen.addCertificates(new JcaCertStore(Arrays.asList(chain)));
            CMSSignedData data = gen.generate(new CMSProcessableByteArray(content.readAllBytes()), false);
            return data.getEncoded();
        } catch (Exception e) {
            throw new java.io.IOException(e);
        }
    }

    byte[] signOnce(File file, ByteArrayOutputStream out) throws Exception {
        out.reset();
        try (PDDocument doc = PDDocument.load(file)) {
            PDSignature sig = new PDSignature();
            sig.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
            sig.setSubFilter(COSName.getPDFName("ETSI.CAdES.detached"));
            sig.setName("esign benchmark");
            sig.setSignDate(Calendar.getInstance());
            SignatureOptions options = new SignatureOptions();
            options.setPreferredSignatureSize(6144);
            doc.addSignature(sig, this, options);
            doc.saveIncremental(out);
            options.close();
        }
        return out.toByteArray();
    }

    public static void main(String[] args) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(args[0])) {
            ks.load(in, args[1].toCharArray());
        }
        String alias = ks.aliases().nextElement();
        PdfBoxSign signer = new PdfBoxSign((PrivateKey) ks.getKey(alias, args[1].toCharArray()),
                                           ks.getCertificateChain(alias));
        int n = Integer.parseInt(args[2]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int f = 3; f < args.length; f++) {
            File file = new File(args[f]);
            byte[] signed = null;
            for (int i = 0; i < Math.max(20, n / 2); i++) {
                signed = signer.signOnce(file, out);  // JIT warm-up
            }
            List<Double> samples = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                signed = signer.signOnce(file, out);
                samples.add((System.nanoTime() - t0) / 1e6);
            }
            java.util.Collections.sort(samples);
            java.nio.file.Files.write(new File(args[f] + ".pdfbox.pdf").toPath(), signed);
            System.out.printf("%s %.3f%n", args[f], samples.get(samples.size() / 2));
        }
    }
}
