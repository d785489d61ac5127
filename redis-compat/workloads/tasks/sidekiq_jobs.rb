# Job classes for the Sidekiq workload, loaded by the `sidekiq` process (-r) and by the
# workload that enqueues them. Each run is noted in Redis with its time, so the workload can
# check how often and when each job ran.
require 'sidekiq'

# Sidekiq 6.4 calls redis-rb 4.8 in ways it warns about on every call.
Redis.silence_deprecations = true

Sidekiq.configure_server do |config|
  # Poll the retry and scheduled sets every second on average (the default is 5 s).
  config.options[:average_scheduled_poll_interval] = 1
  config.options[:poll_interval_average] = 1
end

module CompatNotes
  def note
    Sidekiq.redis do |r|
      r.rpush("compat:ran:#{jid}", Time.now.to_f.to_s)
      r.llen("compat:ran:#{jid}")
    end
  end
end

class AddJob
  include Sidekiq::Job
  include CompatNotes

  def perform(a, b)
    note
    Sidekiq.redis { |r| r.hset('compat:results', jid, a + b) }
  end
end

class FlakyJob
  include Sidekiq::Job
  include CompatNotes
  sidekiq_options retry: 2
  sidekiq_retry_in { |_count, _exception| 1 }

  def perform
    raise 'flaky: first attempt fails' if note == 1
    Sidekiq.redis { |r| r.hset('compat:results', jid, 'recovered') }
  end
end

class BrokenJob
  include Sidekiq::Job
  include CompatNotes
  sidekiq_options retry: 1
  sidekiq_retry_in { |_count, _exception| 1 }
  sidekiq_retries_exhausted do |job, exception|
    Sidekiq.redis { |r| r.hset('compat:exhausted', job['jid'], exception.message) }
  end

  def perform
    note
    raise 'broken: always fails'
  end
end

class DelayedJob
  include Sidekiq::Job
  include CompatNotes

  def perform
    note
    Sidekiq.redis { |r| r.hset('compat:results', jid, 'on time') }
  end
end
