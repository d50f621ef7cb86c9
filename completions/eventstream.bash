# bash completion for eventstream
_eventstream() {
  local cur prev cmd
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  cmd=${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "serve serve-ngrok send migrate kick listen doctor --help --version --config" -- "$cur"))
    return
  fi
  case "$prev" in
    --log-level) COMPREPLY=($(compgen -W "error warn info debug" -- "$cur")); return ;;
    --config | --db | --tls-cert | --tls-key | --cacert) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --storage) COMPREPLY=($(compgen -W "sqlite memory redis none" -- "$cur")); return ;;
    --sync) COMPREPLY=($(compgen -W "full normal" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "json text" -- "$cur")); return ;;
  esac
  case "$cmd" in
    serve | serve-ngrok)
      local extra=""
      [ "$cmd" = serve-ngrok ] && extra="--ngrok-api --dry-run"
      COMPREPLY=($(compgen -W "$extra --route --keep-alive --write-timeout --channel-limit --subscriber-queue --subscriber-queue-bytes --retry
      --max-connections --max-connections-per-address --max-header-bytes --max-headers --max-request-line --header-timeout --max-batch
      --max-channel-length --log-file --allow-origin
      --allow-credentials --allow-headers --publish-key --publish-addr --max-body --threads --log-level --storage --redis --redis-wait --redis-replicas --db
      --db-max-size --sync --retention --reliable --memory-max-events --auth-secret --auth-secret-file
      --auth-cookie --auth-leeway --private --auth-url --channels-url --auth-cache --auth-timeout --grip-url --grip-sig-key --grip-prefix
      --secret --tls-cert --tls-key --tls-self-signed --h2-max-streams --mercure-publisher-jwt-key
      --mercure-subscriber-jwt-key --mercure-jwt-algorithm --mercure-anonymous --mercure-cors-origin --mercure-path
      --mercure-subscriptions --mercure-discovery --help" -- "$cur")) ;;
    migrate) COMPREPLY=($(compgen -W "--db --redis --list --help" -- "$cur")) ;;
    kick) COMPREPLY=($(compgen -W "--url --key --cacert --insecure --help" -- "$cur")) ;;
    doctor) COMPREPLY=($(compgen -W "--publish-url --key --token --idle --cacert --insecure --help" -- "$cur")) ;;
    listen) COMPREPLY=($(compgen -W "--url --format --count --timeout --token --last-event-id --cacert --insecure --help" -- "$cur")) ;;
    send) COMPREPLY=($(compgen -W "--url --key --raw --stdin-lines --skip-user --grip-url --reliable --cacert --insecure --help" -- "$cur")) ;;
  esac
}
complete -F _eventstream eventstream
