// The national message family: nachweisAnfrage in, nachweisAntwort / fehlerAntwort out, every
// answer XMLDSig-signed with the gateway's key.

#include "gateway/exchange/pipeline.hpp"
#include "gateway/oplog/oplog.hpp"

namespace oncegate::exchange {

namespace {

using message::ErrorCode;

class NationalFamily final : public MessageFamily {
 public:
  NationalFamily(std::shared_ptr<const message::MessageCodec> codec, AnswerSigner signer, message::Authority gateway)
      : codec_(std::move(codec)), signer_(std::move(signer)), gateway_(std::move(gateway)) {}

  [[nodiscard]] std::string_view name() const noexcept override { return "national"; }

  void decode(ExchangeContext& context) const override { context.decoded = codec_->decode_request(context.body); }

  [[nodiscard]] ExchangeResult answer(ExchangeContext& context, const adapters::RegisterAdapter& adapter,
                                      const adapters::Evidence& evidence) const override {
    const auto& request = context.request();
    ExchangeResult result;
    result.body = codec_->write_answer(message::OutgoingHeader{gateway_, request.kopf.autor},
                                       message::Bezug{request.kopf.nachrichten_uuid, context.request_digest},
                                       request.nachweistyp, adapter.register_name(), evidence);
    // Never send evidence unsigned: a signing failure throws, and the pipeline answers an error.
    if (signer_) result.body = signer_(result.body);
    return result;
  }

  [[nodiscard]] ExchangeResult error(const ExchangeContext* context, ErrorCode code,
                                     std::string_view text) const override {
    message::OutgoingHeader header{gateway_, {}};
    message::Bezug bezug;
    if (context != nullptr) {
      if (context->decoded.ok()) {
        header.leser = context->request().kopf.autor;
        bezug = {context->request().kopf.nachrichten_uuid, context->request_digest};
      } else {
        bezug = {context->decoded.request_uuid, context->request_digest};
      }
    }
    ExchangeResult result;
    result.http_status = message::http_status(code);
    result.body = codec_->write_error(header, bezug, code, text);
    if (signer_) {
      try {
        result.body = signer_(result.body);
      } catch (const std::exception& failure) {
        // An error answer carries no personal data; unsigned it still tells the requester what
        // went wrong, and the requester's signature check will flag it.
        oplog::write(oplog::Level::error, "signing_failed", {{"what", "error answer"}, {"reason", failure.what()}});
      }
    }
    return result;
  }

 private:
  std::shared_ptr<const message::MessageCodec> codec_;
  AnswerSigner signer_;
  message::Authority gateway_;
};

}  // namespace

std::shared_ptr<const MessageFamily> national_family(std::shared_ptr<const message::MessageCodec> codec,
                                                     AnswerSigner signer, message::Authority gateway) {
  return std::make_shared<const NationalFamily>(std::move(codec), std::move(signer), std::move(gateway));
}

}  // namespace oncegate::exchange
